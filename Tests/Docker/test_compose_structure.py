"""docker/compose.yaml passes check_compose.py, and the check catches the mistakes it is there for."""

import copy

import pytest

import check_compose
import image_recipe as recipe


@pytest.fixture()
def document():
    return recipe.load_compose(recipe.COMPOSE_FILE)


def failures(document):
    return check_compose.check(recipe.COMPOSE_FILE, document=document).failures


def test_compose_file_passes(document):
    report = check_compose.check(recipe.COMPOSE_FILE, document=document)
    assert report.failures == []
    assert len(report.passes) > 30


def mutated(document, change):
    changed = copy.deepcopy(document)
    change(changed)
    return changed


@pytest.mark.parametrize("change, expected", [
    (lambda d: d.__setitem__("version", "3.8"), "no obsolete `version:` key"),
    (lambda d: d["services"].pop("hook"), "service hook is defined"),
    (lambda d: d["services"]["understudy"]["environment"].__setitem__("UNDERSTUDY_ISSUER", "http://understudy:9400"),
     "UNDERSTUDY_ISSUER http://understudy:9400 is the browser's view"),
    (lambda d: d["services"]["understudy"]["environment"].__setitem__("UNDERSTUDY_INTERNAL_URL", "http://idp:9400"),
     "UNDERSTUDY_INTERNAL_URL http://idp:9400 is http://understudy:9400"),
    (lambda d: d["services"]["understudy"].__setitem__("ports", ["9500:9400"]),
     "UNDERSTUDY_ISSUER http://localhost:9400 is the browser's view: http://localhost:9500"),
    (lambda d: d["services"]["understudy"]["volumes"].pop(0), "understudy: a volume is mounted on /app/data"),
    (lambda d: d["services"]["understudy"]["volumes"].__setitem__(1, "./no-such-folder:/app/compose-seed:ro"),
     "understudy: bind-mounted ./no-such-folder"),
    (lambda d: d["services"]["understudy"]["healthcheck"].__setitem__("test", ["CMD", "true"]),
     "understudy: healthcheck ['true'] is the image's"),
    (lambda d: d["services"]["api"].__setitem__("build", "./nope"),
     "api: build context"),
    (lambda d: d["services"]["api"].__setitem__("depends_on", ["understudy"]),
     "api depends on understudy with condition service_healthy"),
    (lambda d: d["services"]["api"]["environment"].__setitem__("ISSUER", "http://understudy:9400"),
     "api ISSUER ['http://understudy:9400'] holds the public issuer"),
    (lambda d: d["services"]["api"]["environment"].__setitem__(
        "JWKS_URL", "http://localhost:9400/.well-known/jwks.json"), "api JWKS_URL"),
    (lambda d: d["services"]["understudy"]["environment"].__setitem__("UNDERSTUDY_SEED", "/app/seed/default.yaml"),
     "the seeds configure hooks.pre_token_generation"),
])
def test_check_catches(document, change, expected):
    found = failures(mutated(document, change))
    assert any(message.startswith(expected) for message in found), found
