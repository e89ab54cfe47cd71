"""Checks the structure of docker/compose.yaml against docker/Dockerfile and the seeds, without Docker.

    python Tests/Docker/check_compose.py [docker/compose.yaml]

Exits 1, listing every problem, when a rule is broken:
- no `version:` key (Compose spec); the services understudy, hook and api;
- every `build` context and Dockerfile exists, and every bind-mounted host path;
- understudy: built from docker/Dockerfile; publishes the image's port; sets UNDERSTUDY_ISSUER,
  UNDERSTUDY_INTERNAL_URL and UNDERSTUDY_SEED; the image's healthcheck; a named volume on the folder of
  the image's `--db`; every seed file it names is in the image or mounted;
- one issuer for the browser and the containers: UNDERSTUDY_ISSUER is http://localhost:<published port>;
  UNDERSTUDY_INTERNAL_URL's host is the service's name and its port the container's;
- the hook URL in the seeds names a compose service;
- the playground works from the host: a Cognito-dialect client redirects to <issuer>/playground/callback;
- api: depends on understudy being healthy; publishes its PORT; fetches the JWKS from the internal URL;
  its ISSUER list holds the public issuer or the Cognito pool issuer derived from it, and no internal URL.
"""

import sys
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import yaml

import image_recipe as recipe

SERVICE = "understudy"
REQUIRED_SERVICES = ("understudy", "hook", "api")
RIE_PATH = "/2015-03-31/functions/function/invocations"
IDCS_ORACLE_ISSUER = "https://identity.oraclecloud.com/"


class Report:
    def __init__(self):
        self.failures = []
        self.passes = []

    def check(self, condition, message):
        (self.passes if condition else self.failures).append(message)
        return condition


def image_path_to_host(path, image, compose_dir, service):
    """Where the file at `path` inside the understudy container comes from on this machine, or None:
    a bind mount of the service, or a COPY from the build context (docker/Dockerfile)."""
    target = PurePosixPath(path)
    for mount in recipe.mounts(service):
        if mount.kind == "bind" and (target == PurePosixPath(mount.target)
                                     or PurePosixPath(mount.target) in target.parents):
            return (Path(compose_dir) / mount.source / target.relative_to(mount.target)).resolve()
    for copy in image.context_copies():
        destination = PurePosixPath(copy.destination)
        if len(copy.sources) == 1 and (target == destination or destination in target.parents):
            return recipe.REPO / copy.sources[0] / target.relative_to(destination)
    return None


def merged_seed(paths):
    """The parts of the merged seed this check needs: settings.cognito and idcs, the hook, the clients
    (later files override settings and the hook, and append clients, as Understudy merges them)."""
    merged = {"cognito": None, "idcs": None, "hook": None, "clients": []}
    for path in paths:
        document = yaml.safe_load(Path(path).read_text()) or {}
        settings = document.get("settings") or {}
        merged["cognito"] = settings.get("cognito", merged["cognito"])
        merged["idcs"] = settings.get("idcs", merged["idcs"])
        merged["hook"] = (document.get("hooks") or {}).get("pre_token_generation", merged["hook"])
        merged["clients"] += document.get("clients") or []
    return merged


def check(compose_path=recipe.COMPOSE_FILE, dockerfile=recipe.DOCKERFILE, document=None):
    """Checks the compose file at `compose_path` (or `document`, read as if it were that file)."""
    report = Report()
    compose_path = Path(compose_path).resolve()
    compose_dir = compose_path.parent
    compose = recipe.load_compose(compose_path) if document is None else document
    image = recipe.read_image(dockerfile)
    services = compose.get("services") or {}

    report.check("version" not in compose, "no obsolete `version:` key")
    for name in REQUIRED_SERVICES:
        report.check(name in services, f"service {name} is defined")
    if report.failures:
        return report

    # Builds and bind mounts exist.
    for name, service in services.items():
        build = recipe.build_of(service, compose_dir)
        if build:
            context, dockerfile_path = build
            report.check(context.is_dir(), f"{name}: build context {context} exists")
            report.check(dockerfile_path.is_file(), f"{name}: Dockerfile {dockerfile_path} exists")
        for mount in recipe.mounts(service):
            if mount.kind == "bind":
                host = (compose_dir / mount.source).resolve()
                report.check(host.exists(), f"{name}: bind-mounted {mount.source} ({host}) exists")

    understudy = services[SERVICE]
    env = recipe.environment(understudy)
    build = recipe.build_of(understudy, compose_dir)
    report.check(build is not None and build[1] == Path(dockerfile).resolve(),
                 f"{SERVICE}: built from {dockerfile}")
    report.check(build is not None and build[0] == recipe.REPO, f"{SERVICE}: build context is the repository")

    # Port: the one the entrypoint serves on, exposed and published.
    container_port = int(recipe.option(image.argv, "--port") or 9400)
    report.check(str(container_port) in image.exposed, f"image EXPOSEs the --port {container_port}")
    published = [host for host, target in recipe.ports(understudy) if target == container_port]
    report.check(bool(published), f"{SERVICE}: publishes container port {container_port}")
    host_port = published[0] if published else container_port

    # Healthcheck: the image's.
    try:
        health = recipe.healthcheck_argv(understudy)
    except recipe.RecipeError as error:
        health = None
        report.check(False, f"{SERVICE}: {error}")
    report.check(image.healthcheck is not None, "image has a HEALTHCHECK")
    if image.healthcheck and health is not None:
        report.check(health == image.healthcheck.command,
                     f"{SERVICE}: healthcheck {health} is the image's {image.healthcheck.command}")
        url = recipe.option(image.healthcheck.command, "--url") or ""
        report.check(urlsplit(url).port == container_port, f"HEALTHCHECK asks port {container_port} ({url})")

    # Database on a named volume, at the image's VOLUME.
    db = recipe.option(image.argv, "--db")
    report.check(db is not None, "ENTRYPOINT names the database (--db)")
    if db:
        data_dir = str(PurePosixPath(db).parent)
        report.check(data_dir in image.volumes, f"image declares VOLUME {data_dir} (the --db folder)")
        named = [m for m in recipe.mounts(understudy) if m.kind == "volume" and m.target == data_dir]
        report.check(bool(named), f"{SERVICE}: a volume is mounted on {data_dir}")
        if named:
            report.check(named[0].source in (compose.get("volumes") or {}),
                         f"{SERVICE}: volume {named[0].source} is declared under top-level volumes")

    # Issuer and internal URL.
    for variable in ("UNDERSTUDY_ISSUER", "UNDERSTUDY_INTERNAL_URL", "UNDERSTUDY_SEED"):
        report.check(bool(env.get(variable)), f"{SERVICE}: sets {variable}")
    issuer = env.get("UNDERSTUDY_ISSUER", "")
    parsed = urlsplit(issuer)
    report.check(parsed.scheme == "http" and parsed.hostname in ("localhost", "127.0.0.1")
                 and parsed.port == host_port,
                 f"UNDERSTUDY_ISSUER {issuer} is the browser's view: http://localhost:{host_port}")
    internal = urlsplit(env.get("UNDERSTUDY_INTERNAL_URL", ""))
    report.check(internal.hostname == SERVICE and internal.port == container_port,
                 f"UNDERSTUDY_INTERNAL_URL {internal.geturl()} is http://{SERVICE}:{container_port}")
    report.check(internal.path.rstrip("/") == parsed.path.rstrip("/"),
                 "UNDERSTUDY_INTERNAL_URL has no path of its own (the issuer's path is appended)")

    # Seeds: present in the image or mounted; what they configure.
    seed_paths = []
    for path in [p.strip() for p in env.get("UNDERSTUDY_SEED", "").split(",") if p.strip()]:
        host = image_path_to_host(str(PurePosixPath(image.workdir) / path), image, compose_dir, understudy)
        if report.check(host is not None and host.is_file(), f"{SERVICE}: seed {path} is in the image or mounted"):
            seed_paths.append(host)
    seed = merged_seed(seed_paths)
    pool = (seed["cognito"] or {}).get("user_pool_id", "us-east-1_Understudy") if seed["cognito"] else None
    pool_issuer = f"{issuer.rstrip('/')}/{pool}" if pool and (seed["cognito"] or {}).get("issuer", "local") == "local" else None

    hook = seed["hook"]
    if report.check(bool(hook), "the seeds configure hooks.pre_token_generation"):
        hook_url = urlsplit(hook["url"])
        report.check(hook_url.hostname in services and hook_url.hostname != SERVICE,
                     f"hook URL {hook['url']} names a compose service")
        report.check(hook_url.path == RIE_PATH, f"hook URL is the Lambda RIE's invocation path {RIE_PATH}")

    callback = f"{issuer.rstrip('/')}/playground/callback"
    cognito_clients = [c for c in seed["clients"] if c.get("dialect") == "cognito"]
    report.check(any(callback in (c.get("redirect_uris") or []) for c in cognito_clients),
                 f"a Cognito-dialect client redirects to {callback} (the playground in the host's browser)")

    # The example API.
    api = services["api"]
    api_env = recipe.environment(api)
    depends = api.get("depends_on") or {}
    condition = depends.get(SERVICE, {}).get("condition") if isinstance(depends, dict) else None
    report.check(condition == "service_healthy", f"api depends on {SERVICE} with condition service_healthy")
    api_port = int(api_env.get("PORT", "8080"))
    report.check(any(target == api_port for _, target in recipe.ports(api)), f"api publishes its PORT {api_port}")
    jwks = urlsplit(api_env.get("JWKS_URL", ""))
    jwks_paths = {parsed.path.rstrip("/") + "/.well-known/jwks.json"}
    if pool:
        jwks_paths.add(f"{parsed.path.rstrip('/')}/{pool}/.well-known/jwks.json")
    report.check(jwks.hostname == SERVICE and jwks.port == container_port and jwks.path in jwks_paths,
                 f"api JWKS_URL {jwks.geturl()} is Understudy's JWKS at the internal URL")
    allowed = [i.strip() for i in api_env.get("ISSUER", "").split(",") if i.strip()]
    report.check(issuer in allowed or (pool_issuer is not None and pool_issuer in allowed),
                 f"api ISSUER {allowed} holds the public issuer {issuer} or the pool issuer {pool_issuer}")
    known = {issuer, pool_issuer, IDCS_ORACLE_ISSUER}
    report.check(all(i in known for i in allowed),
                 f"api ISSUER lists only issuers Understudy mints ({sorted(k for k in known if k)})")
    report.check(not any(urlsplit(i).hostname == SERVICE for i in allowed),
                 "api ISSUER names no internal URL (tokens carry the public issuer)")

    # The hook service: a Lambda image (its runtime interface emulator serves the invocation path).
    hook_build = recipe.build_of(services["hook"], compose_dir)
    if hook_build and hook_build[1].is_file():
        base = recipe.parse_dockerfile(hook_build[1])[-1].base
        report.check(base.startswith("public.ecr.aws/lambda/"), f"hook image is built on a Lambda base image ({base})")
    return report


def main(argv):
    compose_path = Path(argv[1]) if len(argv) > 1 else recipe.COMPOSE_FILE
    report = check(compose_path)
    for message in report.passes:
        print(f"ok    {message}")
    for message in report.failures:
        print(f"FAIL  {message}")
    print(f"{compose_path}: {len(report.passes)} checks passed, {len(report.failures)} failed")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
