"""The studio's pages: server-rendered shells that small ES modules fill through the REST API.

Each page under ``/assistants/<assistant_id>/`` goes through :func:`access.assistant_page`
(members only, 404 for anybody else) and hands the template the user's role, so that edit
controls appear only for those who may edit.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from annotation.models import Conversation, StoryKind
from annotation.selectors.items import assistant_list_with_roles, story_list
from annotation.selectors.story_yaml import story_from_yaml, story_to_yaml
from frontend.access import PageAccess, assistant_page

DOMAIN_TABS = {
    "responses": "response",
    "slots": "slot",
    "actions": "action",
    "forms": "form",
    "entities": "entity",
}
NLU_LISTS = ("synonyms", "regexes", "lookups")
NEW_STORY = {
    StoryKind.STORY: (
        'version: "3.1"\nstories:\n- story: new story\n  steps:\n  - intent: greet\n'
        "  - action: utter_greet\n"
    ),
    StoryKind.RULE: (
        'version: "3.1"\nrules:\n- rule: new rule\n  steps:\n  - intent: greet\n'
        "  - action: utter_greet\n"
    ),
}


@login_required
def assistant_list(request: HttpRequest) -> HttpResponse:
    assistants = assistant_list_with_roles(user=request.user)
    return render(request, "frontend/assistant_list.html", {"assistants": assistants})


@assistant_page()
def assistant_home(request: HttpRequest, access: PageAccess) -> HttpResponse:
    return redirect("frontend:conversations", assistant_id=access.assistant.pk)


@assistant_page()
def conversations(request: HttpRequest, access: PageAccess) -> HttpResponse:
    return render(request, "frontend/conversations.html", access.context("conversations"))


@assistant_page()
def conversation_detail(
    request: HttpRequest, access: PageAccess, conversation_id: int
) -> HttpResponse:
    conversation = get_object_or_404(
        Conversation.objects.only("pk", "sender_id"), assistant=access.assistant, pk=conversation_id
    )
    context = {**access.context("conversations"), "conversation": conversation}
    return render(request, "frontend/conversation_detail.html", context)


@assistant_page()
def inbox(request: HttpRequest, access: PageAccess) -> HttpResponse:
    return render(request, "frontend/inbox.html", access.context("inbox"))


@assistant_page()
def intents(request: HttpRequest, access: PageAccess) -> HttpResponse:
    return render(request, "frontend/intents.html", access.context("intents"))


@assistant_page()
def nlu_lists(request: HttpRequest, access: PageAccess, kind: str = "synonyms") -> HttpResponse:
    if kind not in NLU_LISTS:
        raise Http404("No such list.")
    context = {**access.context("lists"), "kind": kind, "kinds": NLU_LISTS}
    return render(request, "frontend/nlu_lists.html", context)


@assistant_page()
def stories(request: HttpRequest, access: PageAccess) -> HttpResponse:
    kind = request.GET.get("kind", "")
    context = {
        **access.context("stories"),
        "kind": kind if kind in StoryKind.values or kind == "test" else "",
    }
    return render(request, "frontend/stories.html", context)


@assistant_page()
def story_edit(
    request: HttpRequest, access: PageAccess, story_id: int | None = None
) -> HttpResponse:
    if story_id is None:
        if not access.can_annotate:
            raise PermissionDenied("Only the assistant's annotators and admins write stories.")
        kind = StoryKind.RULE if request.GET.get("kind") == StoryKind.RULE else StoryKind.STORY
        story = None
        text = NEW_STORY[kind]
    else:
        story = get_object_or_404(story_list(assistant=access.assistant), pk=story_id)
        text = story_to_yaml(story)
    context = {
        **access.context("stories"),
        "story": story,
        "yaml": text,
        "editor": {
            "initial": story_from_yaml(text, is_test=story.is_test if story else False).story,
            "storyId": story.pk if story is not None else None,
            "isTest": story.is_test if story is not None else False,
            "parseUrl": reverse("frontend:story-parse", args=[access.assistant.pk]),
            "listUrl": reverse("frontend:stories", args=[access.assistant.pk]),
        },
    }
    return render(request, "frontend/story_edit.html", context)


@require_POST
@assistant_page()
def story_parse(request: HttpRequest, access: PageAccess) -> JsonResponse:
    """YAML -> the API's story payload, or the problems on their lines (writes nothing)."""
    try:
        body: Any = json.loads(request.body or b"{}")
    except json.JSONDecodeError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("yaml"), str):
        return JsonResponse(
            {"code": "invalid", "message": "Send {yaml: str, is_test?: bool}."}, status=400
        )
    parsed = story_from_yaml(body["yaml"], is_test=bool(body.get("is_test")))
    return JsonResponse({"story": parsed.story, "problems": parsed.problems})


@assistant_page()
def domain(request: HttpRequest, access: PageAccess, tab: str = "responses") -> HttpResponse:
    if tab not in DOMAIN_TABS:
        raise Http404("No such part of the domain.")
    context = {
        **access.context("domain"),
        "tab": tab,
        "tabs": DOMAIN_TABS,
        "singular": DOMAIN_TABS[tab],
    }
    return render(request, "frontend/domain.html", context)


@assistant_page()
def talk(request: HttpRequest, access: PageAccess, session_id: int | None = None) -> HttpResponse:
    """Talk to the bot: an interactive learning session (a new one, or ``session_id``)."""
    if session_id is not None:
        get_object_or_404(
            Conversation.objects.only("pk"),
            assistant=access.assistant,
            pk=session_id,
            channel="interactive",
        )
    context = access.context("talk")
    context["page_data"] = {
        **context["page_data"],
        "sessionId": session_id,
        "interactiveApi": f"/api/v1/assistants/{access.assistant.pk}/interactive/",
    }
    return render(request, "frontend/talk.html", context)
