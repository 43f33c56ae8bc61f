"""The API's views; each calls selectors to read and services to write."""
