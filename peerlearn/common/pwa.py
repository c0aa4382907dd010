"""The site as an installable web app: its manifest, a service worker and an offline page.

The service worker (served from the site's root so that its scope is the whole site) keeps the
offline page, the stylesheet and the icons in a cache, and answers a page request that fails
for want of a network with the offline page. It caches nothing else: every page is personal and
live, so it always comes from the server.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

CACHE_NAME = "peerlearn-offline-v1"


@require_GET
@cache_control(max_age=3600, public=True)
def manifest(request: HttpRequest) -> HttpResponse:
    body = {
        "name": "PeerLearn",
        "short_name": "PeerLearn",
        "description": "Students across universities learn from each other.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f7fb",
        "theme_color": "#4f46e5",
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("img/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {"src": static("img/logo.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return HttpResponse(json.dumps(body), content_type="application/manifest+json")


SERVICE_WORKER = """\
const CACHE = %(cache)s;
const OFFLINE = %(offline)s;
const KEEP = %(keep)s;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll([OFFLINE, ...KEEP])));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((names) =>
      Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))),
    ).then(() => self.clients.claim()),
  );
});

// Pages always come from the network; only when there is none, the offline page answers.
self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
  } else if (KEEP.includes(new URL(request.url).pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
"""


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    keep = [static("css/app.css"), static("img/logo.svg"), static("img/icon-192.png")]
    script = SERVICE_WORKER % {
        "cache": json.dumps(CACHE_NAME),
        "offline": json.dumps(reverse("offline")),
        "keep": json.dumps(keep),
    }
    response = HttpResponse(script, content_type="text/javascript")
    response["Cache-Control"] = "no-cache"  # a new version is picked up on the next visit
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "common/offline.html")
