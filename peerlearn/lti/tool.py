"""django-lti / pylti1p3 wired to PeerLearn, with the checks the library leaves out.

The library runs the OIDC login and validates a launch (state cookie, JWT format, that the
nonce is one we issued, registration, signature against the platform's JWKS, deployment,
message-type claims). What is added here, each refused with ``LtiException``:

- ``aud`` must contain our client id, ``azp`` (required when ``aud`` lists several) must be it,
  ``iss`` must be the registration's; ``exp``, ``iat``, ``nonce``, ``sub`` are required and
  ``exp``/``iat`` are checked with ``LTI_CLOCK_SKEW_SECONDS`` of leeway (the library passes no
  leeway and does not check the audience at all).
- Nonce and state are single use: each accepted launch records both in ``UsedLaunchValue``
  (a unique constraint), so a replayed id_token is refused even though the library's cache
  would still recognise it.
- A deployment must be registered and active (the library creates unknown ones on the fly).
- The platform's keys are cached for an hour; a launch signed with an unknown ``kid`` fetches
  them again once (the platform rotated its keys).
"""

from __future__ import annotations

import hashlib
from typing import Any

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from lti_tool.models import LtiContext, LtiDeployment, LtiLaunch, LtiRegistration
from lti_tool.utils import DjangoToolConfig
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector

from .models import UsedLaunchValue

KEYSET_CACHE_SECONDS = 3600
SERVICE_TIMEOUT_SECONDS = 15
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "nonce", "sub"]


class ToolConfig(DjangoToolConfig):
    """django-lti's configuration, except that an unknown deployment is refused instead of
    being created, and an inactive one is refused too."""

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self._deployment(registration__issuer=iss, deployment_id=deployment_id)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        return self._deployment(
            registration__issuer=iss,
            registration__client_id=client_id,
            deployment_id=deployment_id,
        )

    def _deployment(self, **lookups: Any) -> Deployment | None:
        if self.registration_uuid is not None:
            lookups["registration__uuid"] = self.registration_uuid
        self.deployment = (
            LtiDeployment.objects.filter(registration__is_active=True, is_active=True, **lookups)
            .select_related("registration")
            .first()
        )
        if self.deployment is None:
            return None
        return Deployment().set_deployment_id(self.deployment.deployment_id)


class MessageLaunch(DjangoMessageLaunch):
    @property
    def registration(self) -> Registration:
        assert self._registration is not None, "validate_registration runs first"
        return self._registration

    def validate_jwt_signature(self) -> MessageLaunch:
        id_token = self._get_id_token()
        public_key, alg = self._public_key()
        client_id = self.registration.get_client_id()
        try:
            body = jwt.decode(
                id_token,
                public_key,
                algorithms=[alg],
                audience=client_id,
                issuer=self.registration.get_issuer(),
                leeway=settings.LTI_CLOCK_SKEW_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.InvalidTokenError as exc:
            raise LtiException(f"The launch token is not valid: {exc}") from exc
        aud = body["aud"]
        azp = body.get("azp")
        if isinstance(aud, list) and len(aud) > 1 and azp is None:
            raise LtiException("The launch token names several audiences but no azp.")
        if azp is not None and azp != client_id:
            raise LtiException("The launch token's azp is not our client id.")
        return self

    def _public_key(self) -> tuple[str, str]:
        try:
            return self.get_public_key()
        except LtiException:
            url = self.registration.get_key_set_url()
            if not url or cache.get(_keyset_key(url)) is None:
                raise
            cache.delete(_keyset_key(url))  # the platform may have rotated its keys
            self.registration.set_key_set(None)
            return self.get_public_key()

    def fetch_public_key(self, key_set_url: str) -> Any:
        cached = cache.get(_keyset_key(key_set_url))
        if cached is not None:
            return cached
        try:
            response = self._requests_session.get(key_set_url, timeout=10)
            response.raise_for_status()
            keyset = response.json()
        except Exception as exc:
            raise LtiException(f"Could not fetch the platform's keys: {exc}") from exc
        if not isinstance(keyset, dict) or not isinstance(keyset.get("keys"), list):
            raise LtiException("The platform's key set is not a JWKS.")
        cache.set(_keyset_key(key_set_url), keyset, KEYSET_CACHE_SECONDS)
        return keyset

    def validate_message(self) -> MessageLaunch:
        super().validate_message()
        body = self._get_jwt_body()
        state = self._get_request_param("state")
        try:
            with transaction.atomic():
                UsedLaunchValue.objects.create(kind=UsedLaunchValue.Kind.NONCE, value=body["nonce"])
                UsedLaunchValue.objects.create(kind=UsedLaunchValue.Kind.STATE, value=state)
        except IntegrityError as exc:
            raise LtiException("This launch was already used.") from exc
        return self


class _TimeoutSession(requests.Session):
    """pylti1p3's service calls pass no timeout; a platform that hangs must not hang a worker
    (the score sender holds a row lock while it sends)."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", SERVICE_TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)


def service_connector(registration: LtiRegistration) -> ServiceConnector:
    """A connector for the platform's services (token, NRPS, AGS), signing with our key."""
    return ServiceConnector(registration.to_registration(), requests_session=_TimeoutSession())


def members_of(context: LtiContext) -> list[dict[str, Any]]:
    """Every member on the context's roster (NRPS, all pages)."""
    if not context.memberships_url:
        return []
    nrps = NamesRolesProvisioningService(
        service_connector(context.deployment.registration),
        {"context_memberships_url": context.memberships_url},
    )
    return list(nrps.get_members())  # type: ignore[arg-type]


def _keyset_key(url: str) -> str:
    return "lti:keyset:" + hashlib.sha256(url.encode()).hexdigest()


def oidc_login(request: HttpRequest, registration_uuid: str | None) -> DjangoOIDCLogin:
    return DjangoOIDCLogin(
        request, ToolConfig(registration_uuid), launch_data_storage=DjangoCacheDataStorage()
    )


def validated_launch(request: HttpRequest) -> LtiLaunch:
    """The launch POSTed to us, validated (raises ``LtiException`` with the reason)."""
    message_launch = MessageLaunch(
        request, ToolConfig(), launch_data_storage=DjangoCacheDataStorage()
    )
    message_launch.validate()
    return LtiLaunch(message_launch)


def cached_launch(request: HttpRequest, launch_id: str) -> LtiLaunch:
    """A launch validated earlier in this browser session (deep linking's second step)."""
    message_launch = MessageLaunch.from_cache(
        launch_id, request, ToolConfig(), launch_data_storage=DjangoCacheDataStorage()
    )
    return LtiLaunch(message_launch)


def registration_for(launch: LtiLaunch) -> LtiRegistration:
    return launch.registration
