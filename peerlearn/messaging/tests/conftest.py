from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from peerlearn.accounts.models import User
from peerlearn.common.testing import make_user
from peerlearn.messaging import services
from peerlearn.messaging.models import Conversation


@dataclass
class Pair:
    ann: User
    ben: User
    otto: User  # not a member
    conversation: Conversation


@pytest.fixture
def pair(db: None) -> Pair:
    ann = make_user("ann@example.org", display_name="Ann")
    ben = make_user("ben@example.org", display_name="Ben")
    otto = make_user("otto@example.org", display_name="Otto")
    conversation = services.conversation_start(actor=ann, with_ids=[ben.pk])
    return Pair(ann, ben, otto, conversation)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
