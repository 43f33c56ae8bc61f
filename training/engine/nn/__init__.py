"""Neural-network building blocks of the DIET classifier and the response selector."""
