"""A real LTI 1.3 platform for tests, built on PyJWT and ``cryptography``, served over HTTP on
an ephemeral loopback port by a thread of the test process.

It does what Moodle or Canvas do for a tool: signs launches (resource link and deep linking)
with its own RSA keys and publishes them as a JWKS; answers the OIDC authorization request with
an auto-submitting form POST of the id_token; issues OAuth2 access tokens for a client-credentials
grant whose JWT assertion it verifies against the tool's JWKS; serves a paginated Names and Role
Provisioning roster; receives deep-linking responses and creates their line items; receives
scores (Assignment and Grade Services). It can rotate its keys and be told to fail the next
score requests. Nothing here imports PeerLearn.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(kid=uuid.uuid4().hex, private=rsa.generate_private_key(65537, 2048))

    def pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def jwk(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}


@dataclass
class Person:
    sub: str
    name: str
    email: str
    roles: list[str]
    status: str = "Active"


@dataclass
class Course:
    id: str
    title: str
    label: str
    members: list[Person] = field(default_factory=list)


@dataclass
class PendingLaunch:
    claims: dict[str, Any]
    key: SigningKey | None = None
    headers: dict[str, Any] | None = None


class Platform:
    """One platform with one tool registered (``client_id``, ``deployment_id``)."""

    def __init__(self, *, client_id: str = "peerlearn-tool", deployment_id: str = "dep-1") -> None:
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.guid = uuid.uuid4().hex
        self.keys = [SigningKey.generate()]
        self.tool_login_url = ""
        self.tool_launch_url = ""
        self.tool_jwks_url = ""
        self.tool_jwks: dict[str, Any] | None = None  # when the tool is not served over HTTP
        self.courses: dict[str, Course] = {}
        self.pending: dict[str, PendingLaunch] = {}
        self.tokens: dict[str, list[str]] = {}
        self.used_jtis: set[str] = set()
        self.lineitems: dict[str, dict[str, Any]] = {}
        self.scores: list[dict[str, Any]] = []
        self.deep_link_responses: list[dict[str, Any]] = []
        self.fail_scores = 0
        self.nrps_page_size = 50
        self.base_url = ""
        self.lock = threading.Lock()

    # --- keys -------------------------------------------------------------------------------
    @property
    def key(self) -> SigningKey:
        return self.keys[-1]

    def rotate_keys(self, *, keep_old: bool = True) -> None:
        self.keys = [*self.keys, SigningKey.generate()] if keep_old else [SigningKey.generate()]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.jwk() for k in self.keys]}

    # --- URLs -------------------------------------------------------------------------------
    @property
    def issuer(self) -> str:
        return self.base_url

    def url(self, path: str) -> str:
        return self.base_url + path

    def registration(self) -> dict[str, str]:
        """What an administrator types into PeerLearn's registration form."""
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "auth_url": self.url("/auth"),
            "token_url": self.url("/token"),
            "keyset_url": self.url("/jwks"),
        }

    # --- messages ---------------------------------------------------------------------------
    def course(self, course_id: str, title: str, members: list[Person]) -> Course:
        course = Course(id=course_id, title=title, label=course_id.upper(), members=members)
        self.courses[course_id] = course
        return course

    def _base_claims(self, person: Person, course: Course | None) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": person.sub,
            "name": person.name,
            "email": person.email,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "roles": person.roles,
            LTI + "tool_platform": {
                "guid": self.guid,
                "name": "Test LMS",
                "product_family_code": "test",
            },
            LTI + "launch_presentation": {
                "document_target": "window",
                "return_url": self.url("/return"),
            },
        }
        if course is not None:
            claims[LTI + "context"] = {
                "id": course.id,
                "label": course.label,
                "title": course.title,
                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            }
            claims[NRPS_CLAIM] = {
                "context_memberships_url": self.url(f"/nrps/{course.id}"),
                "service_versions": ["2.0"],
            }
            claims[AGS_CLAIM] = {
                "scope": AGS_SCOPES,
                "lineitems": self.url(f"/lineitems/{course.id}"),
            }
        return claims

    def resource_launch(
        self,
        person: Person,
        course: Course | None,
        *,
        link_id: str = "link-1",
        custom: dict[str, str] | None = None,
        lineitem: str | None = None,
    ) -> dict[str, Any]:
        claims = self._base_claims(person, course)
        claims[LTI + "message_type"] = "LtiResourceLinkRequest"
        claims[LTI + "target_link_uri"] = self.tool_launch_url
        claims[LTI + "resource_link"] = {"id": link_id, "title": "PeerLearn"}
        if custom:
            claims[LTI + "custom"] = custom
        if lineitem and AGS_CLAIM in claims:
            claims[AGS_CLAIM]["lineitem"] = lineitem
        return claims

    def deep_linking_launch(self, person: Person, course: Course) -> dict[str, Any]:
        claims = self._base_claims(person, course)
        claims[LTI + "message_type"] = "LtiDeepLinkingRequest"
        claims[LTI + "target_link_uri"] = self.tool_launch_url
        claims[DL + "deep_linking_settings"] = {
            "deep_link_return_url": self.url(f"/deep_link_return/{course.id}"),
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["window", "iframe"],
            "accept_multiple": False,
            "data": f"dl-{course.id}",
        }
        return claims

    def prepare(
        self,
        claims: dict[str, Any],
        *,
        key: SigningKey | None = None,
        headers: dict[str, Any] | None = None,
    ) -> str:
        """Remember a launch; returns the lti_message_hint that starts it."""
        hint = secrets.token_urlsafe(12)
        self.pending[hint] = PendingLaunch(claims=claims, key=key, headers=headers)
        return hint

    def login_params(self, hint: str) -> dict[str, str]:
        """The third-party-initiated login the platform sends the browser to the tool with."""
        claims = self.pending[hint].claims
        return {
            "iss": self.issuer,
            "login_hint": claims["sub"],
            "target_link_uri": self.tool_launch_url,
            "lti_message_hint": hint,
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: SigningKey | None = None,
        headers: dict[str, Any] | None = None,
    ) -> str:
        key = key or self.key
        return jwt.encode(
            claims, key.pem(), algorithm="RS256", headers={"kid": key.kid, **(headers or {})}
        )

    def authorize(self, params: dict[str, str]) -> tuple[str, dict[str, str]]:
        """The OIDC authorization endpoint: checks the tool's request and returns where the
        browser POSTs and what (id_token, state)."""
        hint = params.get("lti_message_hint", "")
        pending = self.pending.get(hint)
        if pending is None:
            raise ValueError("unknown lti_message_hint")
        if params.get("client_id") != self.client_id:
            raise ValueError("unknown client_id")
        if params.get("redirect_uri") != self.tool_launch_url:
            raise ValueError("redirect_uri is not registered")
        if params.get("response_type") != "id_token" or params.get("scope") != "openid":
            raise ValueError("not an OIDC implicit id_token request")
        if params.get("login_hint") != pending.claims["sub"]:
            raise ValueError("login_hint does not match")
        now = int(time.time())
        claims = {"iat": now, "exp": now + 300, **pending.claims, "nonce": params["nonce"]}
        return self.tool_launch_url, {
            "id_token": self.sign(claims, key=pending.key, headers=pending.headers),
            "state": params["state"],
        }

    # --- services ---------------------------------------------------------------------------
    def _tool_keyset(self) -> dict[str, Any]:
        if self.tool_jwks is not None:
            return self.tool_jwks
        return dict(requests.get(self.tool_jwks_url, timeout=10).json())

    def issue_token(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("grant_type") != "client_credentials":
            raise PermissionError("unsupported grant")
        assertion = form.get("client_assertion", "")
        kid = jwt.get_unverified_header(assertion).get("kid")
        jwk = next((k for k in self._tool_keyset()["keys"] if k.get("kid") == kid), None)
        if jwk is None:
            raise PermissionError("unknown tool key")
        public = _public_key(jwk)
        body = jwt.decode(assertion, public, algorithms=["RS256"], audience=self.url("/token"))
        if body["iss"] != self.client_id or body["sub"] != self.client_id:
            raise PermissionError("assertion is not from the registered tool")
        with self.lock:
            if body["jti"] in self.used_jtis:
                raise PermissionError("assertion replayed")
            self.used_jtis.add(body["jti"])
            token = secrets.token_urlsafe(24)
            self.tokens[token] = form.get("scope", "").split()
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": form.get("scope", ""),
        }

    def check_token(self, authorization: str, scope: str) -> None:
        token = authorization.removeprefix("Bearer ").strip()
        if scope not in self.tokens.get(token, []):
            raise PermissionError("no token for " + scope)

    def members_page(self, course_id: str, page: int) -> tuple[dict[str, Any], str | None]:
        course = self.courses[course_id]
        size = self.nrps_page_size
        chunk = course.members[page * size : (page + 1) * size]
        body = {
            "id": self.url(f"/nrps/{course_id}"),
            "context": {"id": course.id, "label": course.label, "title": course.title},
            "members": [
                {
                    "user_id": p.sub,
                    "name": p.name,
                    "email": p.email,
                    "roles": p.roles,
                    "status": p.status,
                }
                for p in chunk
            ],
        }
        more = (page + 1) * size < len(course.members)
        return body, (self.url(f"/nrps/{course_id}?page={page + 1}") if more else None)

    def receive_deep_link(self, course_id: str, token: str) -> list[dict[str, Any]]:
        kid = jwt.get_unverified_header(token).get("kid")
        jwk = next(k for k in self._tool_keyset()["keys"] if k.get("kid") == kid)
        public = _public_key(jwk)
        body = jwt.decode(token, public, algorithms=["RS256"], audience=self.issuer)
        assert body["iss"] == self.client_id
        assert body[LTI + "message_type"] == "LtiDeepLinkingResponse"
        assert body[LTI + "deployment_id"] == self.deployment_id
        assert body[DL + "data"] == f"dl-{course_id}"
        items = body.get(DL + "content_items", [])
        for item in items:
            if "lineItem" in item:
                line_id = self.url(f"/lineitems/{course_id}/{len(self.lineitems) + 1}")
                self.lineitems[line_id] = {**item["lineItem"], "id": line_id, "item": item}
                item["lineitem_url"] = line_id
        self.deep_link_responses.append({"course": course_id, "items": items})
        return items

    def receive_score(self, lineitem: str, score: dict[str, Any]) -> None:
        if lineitem not in self.lineitems:
            raise LookupError("no such line item")
        with self.lock:
            if self.fail_scores > 0:
                self.fail_scores -= 1
                raise RuntimeError("gradebook unavailable")
            self.scores.append({"lineitem": lineitem, **score})

    def launch_form_page(self, hint: str) -> str:
        """The platform's course page with the button that starts a launch (what a learner
        clicks in Moodle or Canvas)."""
        fields = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in self.login_params(hint).items()
        )
        return (
            "<!doctype html><html><head><title>Test LMS course</title></head><body>"
            "<h1>Test LMS</h1>"
            f'<form method="post" action="{html.escape(self.tool_login_url)}">{fields}'
            '<button type="submit" id="launch">Open PeerLearn</button></form></body></html>'
        )


def _public_key(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))
    assert isinstance(key, rsa.RSAPublicKey)
    return key


class _Handler(BaseHTTPRequestHandler):
    platform: Platform

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(
        self,
        status: int,
        body: str | dict[str, Any],
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = (json.dumps(body) if isinstance(body, dict) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        if self.headers.get("Content-Type", "").startswith("application/json") or raw.startswith(
            "{"
        ):
            return json.loads(raw) if raw else {}
        return {k: v[0] for k, v in parse_qs(raw).items()}

    def do_GET(self) -> None:
        p = self.platform
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        try:
            if parts.path == "/jwks":
                return self._send(200, p.jwks())
            if parts.path.startswith("/start/"):
                return self._send(
                    200, p.launch_form_page(parts.path.split("/")[2]), content_type="text/html"
                )
            if parts.path == "/auth":
                action, fields = p.authorize(query)
                inputs = "".join(
                    f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                    for k, v in fields.items()
                )
                page = (
                    "<!doctype html><html><body>"
                    f'<form id="f" method="post" action="{html.escape(action)}">{inputs}</form>'
                    '<script>document.getElementById("f").submit()</script></body></html>'
                )
                return self._send(200, page, content_type="text/html")
            if parts.path.startswith("/nrps/"):
                p.check_token(
                    self.headers.get("Authorization", ""),
                    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
                )
                body, next_url = p.members_page(parts.path.split("/")[2], int(query.get("page", 0)))
                headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
                return self._send(
                    200,
                    body,
                    content_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
                    headers=headers,
                )
            if parts.path.startswith("/lineitems/"):
                item = p.lineitems.get(p.url(parts.path))
                return self._send(200 if item else 404, item or {"error": "not found"})
            if parts.path == "/return":
                return self._send(200, "<p>Back in the LMS</p>", content_type="text/html")
        except PermissionError as exc:
            return self._send(401, {"error": str(exc)})
        except (ValueError, KeyError) as exc:
            return self._send(400, {"error": str(exc)})
        return self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        p = self.platform
        parts = urlsplit(self.path)
        try:
            if parts.path == "/token":
                return self._send(200, p.issue_token(self._form()))
            if parts.path.startswith("/deep_link_return/"):
                items = p.receive_deep_link(parts.path.split("/")[2], self._form()["JWT"])
                titles = "".join(f"<li>{html.escape(str(i.get('title')))}</li>" for i in items)
                return self._send(
                    200,
                    f"<!doctype html><h1>Test LMS: content added</h1><ul id='added'>{titles}</ul>",
                    content_type="text/html",
                )
            if parts.path.endswith("/scores"):
                p.check_token(self.headers.get("Authorization", ""), AGS_SCOPES[2])
                p.receive_score(p.url(parts.path.removesuffix("/scores")), self._form())
                return self._send(200, {})
        except PermissionError as exc:
            return self._send(401, {"error": str(exc)})
        except LookupError as exc:
            return self._send(404, {"error": str(exc)})
        except RuntimeError as exc:
            return self._send(503, {"error": str(exc)})
        except (ValueError, jwt.InvalidTokenError, AssertionError, StopIteration) as exc:
            return self._send(400, {"error": str(exc)})
        return self._send(404, {"error": "not found"})


@contextmanager
def running_platform(**kwargs: Any) -> Iterator[Platform]:
    """A platform served on 127.0.0.1 at a port the OS chooses, for the ``with`` block."""
    platform = Platform(**kwargs)
    handler = type("Handler", (_Handler,), {"platform": platform})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    platform.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
