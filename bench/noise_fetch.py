"""Fetching and unpacking the noise benchmark's real third-party trees (issue #8, "quiet on real code").

Three trees, each from a package registry through its ordinary client: popular PyPI packages (`pip download
--no-deps`), popular npm packages (`npm pack`) and Debian server packages (`apt-get download`, extracted with
`dpkg-deb -x`). Downloads are cached under a directory outside git and reused; each tree is rebuilt from the
cache. The trees are laid out as they sit on a machine (`lib/python3.11/site-packages/...`,
`node_modules/...`, `/etc`, `/usr/share/doc`), and then every directory our walker prunes by name is renamed
(`rename_pruned`) so that the rules themselves, not the prune list, are what the benchmark tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from secret_scanner.engine.walk import is_skipped_dir

# Cloud SDKs, web frameworks, database and SSH clients, automation: the code a developer machine holds most.
PYPI_PACKAGES = (
    "boto3", "botocore", "s3transfer", "awscli", "moto", "google-auth", "google-api-core",
    "google-cloud-core", "google-cloud-storage", "google-cloud-bigquery", "google-cloud-pubsub",
    "google-cloud-secret-manager", "google-api-python-client", "azure-core", "azure-identity",
    "azure-storage-blob", "azure-keyvault-secrets", "azure-mgmt-compute", "azure-mgmt-storage",
    "azure-mgmt-network", "azure-cosmos", "msal", "ansible-core", "requests", "urllib3", "httpx",
    "aiohttp", "django", "flask", "werkzeug", "jinja2", "sqlalchemy", "alembic", "paramiko", "cryptography",
    "pyopenssl", "pymysql", "psycopg2", "redis", "celery", "kombu", "fabric", "invoke", "click", "pydantic",
    "fastapi", "starlette", "twilio", "stripe", "sendgrid", "slack-sdk", "pygithub", "python-gitlab", "openai",
    "anthropic", "huggingface-hub", "docker", "kubernetes", "hvac", "paho-mqtt", "ldap3", "oauthlib",
    "requests-oauthlib", "pyjwt", "authlib", "itsdangerous", "passlib", "bcrypt", "keyring", "python-dotenv",
    "pyyaml", "setuptools", "pip", "sentry-sdk", "elasticsearch", "pymongo", "tornado", "gunicorn",
    "pywinrm", "smbprotocol", "netmiko", "snowflake-connector-python", "databricks-sdk", "responses", "faker",
)
# The Ansible collections bundle (with the Azure SDK modules) is big; it is its own step so it can be left out.
PYPI_LARGE = ("ansible",)

NPM_PACKAGES = (
    "lodash", "react", "react-dom", "vue", "express", "axios", "moment", "dayjs", "chalk", "commander",
    "debug", "uuid", "yargs", "webpack", "webpack-cli", "typescript", "eslint", "prettier", "jest", "mocha",
    "chai", "sinon", "rxjs", "tslib", "core-js", "@babel/core", "@babel/runtime", "@babel/parser", "next",
    "jquery", "bootstrap", "underscore", "async", "bluebird", "request", "node-fetch", "got", "superagent",
    "ws", "socket.io", "socket.io-client", "body-parser", "cookie-parser", "express-session", "cors", "helmet",
    "morgan", "dotenv", "jsonwebtoken", "passport", "passport-jwt", "passport-local", "passport-oauth2",
    "bcrypt", "bcryptjs", "crypto-js", "node-forge", "jose", "oauth", "simple-oauth2", "openid-client",
    "mongoose", "mongodb", "mysql", "mysql2", "pg", "sequelize", "typeorm", "knex", "redis", "ioredis",
    "aws-sdk", "@aws-sdk/client-s3", "@aws-sdk/client-sts", "@aws-sdk/credential-providers",
    "@google-cloud/storage", "googleapis", "google-auth-library", "firebase", "firebase-admin",
    "@azure/identity", "@azure/storage-blob", "@azure/msal-node", "@azure/msal-browser", "stripe", "twilio",
    "@sendgrid/mail", "@slack/web-api", "@octokit/rest", "openai", "nodemailer", "ssh2", "ssh2-sftp-client",
    "ftp", "basic-ftp", "ldapjs", "kafkajs", "amqplib", "mqtt", "nats", "graphql", "apollo-server",
    "@apollo/client", "prisma", "@prisma/client", "minimist", "glob", "rimraf", "mkdirp", "fs-extra",
    "semver", "qs", "cheerio", "puppeteer-core", "playwright-core", "selenium-webdriver", "three", "d3",
    "chart.js", "highlight.js", "marked", "markdown-it", "handlebars", "ejs", "pug", "nunjucks", "sass",
    "less", "postcss", "autoprefixer", "tailwindcss", "vite", "rollup", "esbuild", "@angular/core",
    "@angular/common", "svelte", "ember-source", "backbone", "zod", "joi", "yup", "ajv", "validator",
    "winston", "pino", "bunyan", "log4js", "sentry", "@sentry/node", "dd-trace", "newrelic", "keycloak-js",
    "auth0", "@auth0/auth0-spa-js", "okta-auth-js", "@okta/okta-auth-js", "aws-amplify", "serverless",
    "hexo", "gatsby", "nuxt", "pm2", "nodemon", "http-proxy", "http-proxy-middleware", "request-promise",
)

DEBIAN_PACKAGES = (
    "postgresql-common", "postgresql-client-common", "mysql-common", "mariadb-common", "nginx-common",
    "apache2", "apache2-data", "openssh-server", "openssh-client", "samba-common", "postfix", "dovecot-core",
    "redis-tools", "bind9", "squid-common", "slapd", "haproxy", "keepalived", "vsftpd", "exim4-config",
    "freeradius-config", "strongswan-starter", "openvpn", "php-common", "tomcat10-common", "sudo",
    "libpam-runtime", "snmpd", "rsyslog", "logrotate", "fail2ban", "mosquitto", "unbound", "lighttpd",
    "git-man", "curl", "dnsmasq-base", "chrony", "proftpd-core", "cyrus-common",
)

TREES = ("python", "npm", "debian")


def _run(argv: Sequence[str], cwd: Path | None = None, timeout: float = 600) -> bool:
    completed = subprocess.run(list(argv), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               timeout=timeout, check=False)
    if completed.returncode != 0:
        tail = completed.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        print(f"  fetch failed: {' '.join(argv[:4])} ...: {tail[0][:200]}", file=sys.stderr)
    return completed.returncode == 0


def fetch_pypi(cache: Path, names: Sequence[str]) -> None:
    """One `pip download --no-deps` per package, so one unavailable name costs only itself."""
    target = cache / "pypi"
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        marker = target / f".{name}.done"
        if marker.exists():
            continue
        if _run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(target), name]):
            marker.touch()


def fetch_npm(cache: Path, names: Sequence[str], batch: int = 25) -> None:
    target = cache / "npm"
    target.mkdir(parents=True, exist_ok=True)
    todo = [name for name in names if not (target / f".{_flat(name)}.done").exists()]
    for start in range(0, len(todo), batch):
        group = todo[start:start + batch]
        if _run(["npm", "pack", "--silent", "--pack-destination", str(target), *group], cwd=target):
            done = group
        else:  # one bad name fails the batch: retry one by one
            done = [n for n in group if _run(["npm", "pack", "--silent", "--pack-destination", str(target), n],
                                             cwd=target)]
        for name in done:
            (target / f".{_flat(name)}.done").touch()


def fetch_debian(cache: Path, names: Sequence[str]) -> None:
    target = cache / "debian"
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        marker = target / f".{name}.done"
        if not marker.exists() and _run(["apt-get", "download", "-q", name], cwd=target):
            marker.touch()


def _flat(name: str) -> str:
    return name.replace("@", "").replace("/", "-")


def _safe_members(names: Sequence[str]) -> bool:
    return all(not n.startswith("/") and ".." not in Path(n).parts for n in names)


def unpack_pypi(cache: Path, tree: Path) -> None:
    """Wheels as pip installs them (site-packages/<pkg>), sdists as unpacked source trees beside them."""
    site = tree / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True, exist_ok=True)
    for archive in sorted((cache / "pypi").iterdir()):
        if archive.name.endswith(".whl"):
            with zipfile.ZipFile(archive) as wheel:
                if _safe_members(wheel.namelist()):  # no absolute or '..' member: nothing lands outside
                    wheel.extractall(site)  # noqa: S202
        elif archive.name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(archive) as sdist:
                sdist.extractall(tree / "src", filter="data")


def unpack_npm(cache: Path, tree: Path) -> None:
    modules = tree / "app" / "node_modules"
    for archive in sorted((cache / "npm").glob("*.tgz")):
        destination = modules / archive.name[:-4]
        destination.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as package:
            package.extractall(destination, filter="data")


def unpack_debian(cache: Path, tree: Path) -> None:
    tree.mkdir(parents=True, exist_ok=True)
    for archive in sorted((cache / "debian").glob("*.deb")):
        _run(["dpkg-deb", "-x", str(archive), str(tree)])
    # Compiled programs and libraries: binary files our engine skips anyway; keep the tree small.
    for binary in ("usr/bin", "usr/sbin", "usr/lib", "usr/libexec", "bin", "sbin", "lib"):
        shutil.rmtree(tree / binary, ignore_errors=True)


def rename_pruned(root: Path) -> list[str]:
    """Rename every directory under `root` that the walker would prune (node_modules, site-packages,
    lib/python3.11, __pycache__ ...) by appending `.renamed`; returns the renamed paths, relative, sorted."""
    renamed: list[str] = []
    for directory, subdirs, _files in os.walk(root, topdown=True):
        for name in list(subdirs):
            path = os.path.join(directory, name)
            if is_skipped_dir(name, path):
                new = path + ".renamed"
                os.rename(path, new)
                subdirs[subdirs.index(name)] = name + ".renamed"
                renamed.append(os.path.relpath(new, root).replace(os.sep, "/"))
    return sorted(renamed)


def build_trees(cache: Path, out: Path, include_large: bool = True) -> dict[str, Path]:
    """Fetch what is missing from the cache, rebuild the three trees under out/trees; returns name -> root."""
    fetch_pypi(cache, PYPI_PACKAGES + (PYPI_LARGE if include_large else ()))
    fetch_npm(cache, NPM_PACKAGES)
    fetch_debian(cache, DEBIAN_PACKAGES)
    trees = {name: out / "trees" / name for name in TREES}
    for root in trees.values():
        shutil.rmtree(root, ignore_errors=True)
    unpack_pypi(cache, trees["python"])
    unpack_npm(cache, trees["npm"])
    unpack_debian(cache, trees["debian"])
    for name, root in trees.items():
        count = len(rename_pruned(root))
        print(f"  tree {name}: {count} pruned directories renamed", file=sys.stderr)
    return trees
