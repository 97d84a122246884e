"""The new families' machine-wide files in the benchmark corpus: servers and domain policy copies.

Windows: a SYSVOL Group Policy Preferences Groups.xml (cpassword) and an IIS web.config machineKey. Linux: Gitea
app.ini, Jenkins master.key and credentials.xml. Linux and macOS: the Buildkite agent config.
"""

from __future__ import annotations

import base64

from bench import corpus_tokens as t
from bench.corpus import UTF8_BOM_CRLF, UTF8_CRLF, Endpoint
from bench.corpus_natives import simple


def gpp_cpassword(ep: Endpoint) -> None:
    """A SYSVOL Group Policy Preferences file: cpassword is AES with the key Microsoft published (MS14-025)."""
    mint = ep.mint
    guid = mint.gen("uuid").upper()
    draft = ep.draft(
        f"Windows/SYSVOL/sysvol/corp.example.com/Policies/{{{guid}}}/Machine/Preferences/Groups/Groups.xml", UTF8_CRLF
    )
    draft.add('<?xml version="1.0" encoding="utf-8"?>\n<Groups clsid="{3125E937-EB16-4b4c-9934-544FC6D24D26}">')
    value = base64.b64encode(mint.rng.randbytes(16 * mint.rng.randrange(2, 4))).decode().rstrip("=")
    draft.secret(
        "windows-gpp",
        f'  <User clsid="{{DF5F1855-51E5-4d24-8B1A-D9BDE98BA1D1}}" name="LocalAdmin" image="2" '
        f'changed="2019-06-11 10:13:45" uid="{{{mint.gen("uuid").upper()}}}"><Properties action="U" '
        f'newName="" fullName="" description="" cpassword="{value}" changeLogon="0" noChange="1" '
        'neverExpires="1" acctDisabled="0" userName="LocalAdmin"/></User>',
        value,
    )
    draft.negative(
        "empty-or-null",
        '  <User clsid="{DF5F1855-51E5-4d24-8B1A-D9BDE98BA1D1}" name="Guest"><Properties '
        'action="U" cpassword="" userName="Guest"/></User>',
    )
    draft.add("</Groups>")
    ep.write(draft)


def machine_key(ep: Endpoint) -> None:
    mint = ep.mint
    draft = ep.draft(f"inetpub/{mint.word()}-portal/web.config", UTF8_BOM_CRLF)
    draft.add('<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <system.web>')
    validation, decryption = mint.gen("HEX", "128"), mint.gen("HEX", "64")
    draft.secret(
        "dotnet-machine-key",
        f'    <machineKey validationKey="{validation}" decryptionKey="{decryption}" '
        'validation="HMACSHA256" decryption="AES" />',
        validation,
    )
    draft.add('  </system.web>\n  <location path="legacy">\n    <system.web>')
    draft.negative(
        "changeme",
        '      <machineKey validationKey="AutoGenerate,IsolateApps" decryptionKey="AutoGenerate,IsolateApps" />',
    )
    draft.add("    </system.web>\n  </location>\n</configuration>")
    ep.write(draft)


def gitea_server(ep: Endpoint) -> None:
    mint = ep.mint
    draft = ep.draft("etc/gitea/app.ini")
    draft.add(f"APP_NAME = Gitea\nRUN_USER = git\n\n[server]\nDOMAIN = git.{mint.word()}.example.com\n\n[security]")
    draft.add("INSTALL_LOCK = true")
    secret = mint.chars(t.ALNUM, 64)
    draft.secret("gitea", f"SECRET_KEY = {secret}", secret)
    token = mint.gen("jwt")
    draft.secret("gitea", f"INTERNAL_TOKEN = {token}", token)
    draft.negative("policy-setting", "PASSWORD_HASH_ALGO = pbkdf2\nMIN_PASSWORD_LENGTH = 12")
    ep.write(draft)


def jenkins_home(ep: Endpoint) -> None:
    mint = ep.mint
    key = mint.hex(512)
    simple(ep, "var/lib/jenkins/secrets/master.key", "jenkins", "", key, key)
    draft = ep.draft("var/lib/jenkins/credentials.xml")
    draft.add(
        "<?xml version='1.1' encoding='UTF-8'?>\n<com.cloudbees.plugins.credentials.SystemCredentialsProvider>"
        "\n  <domainCredentialsMap><entry><java.util.concurrent.CopyOnWriteArrayList>"
        "\n    <com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>"
        f"\n      <id>{mint.word()}-deploy</id>\n      <username>deploy</username>"
    )
    blob = "{" + base64.b64encode(b"\x01\x00\x00\x00\x10" + mint.rng.randbytes(60)).decode() + "}"
    draft.secret("jenkins", f"      <password>{blob}</password>", blob)
    draft.add(
        "    </com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>"
        "\n  </java.util.concurrent.CopyOnWriteArrayList></entry></domainCredentialsMap>"
        "\n</com.cloudbees.plugins.credentials.SystemCredentialsProvider>"
    )
    ep.write(draft)


def buildkite_agent(ep: Endpoint) -> None:
    value = "bkaa_" + ep.mint.chars(t.ALNUM, 75) if ep.rng.random() < 0.5 else ep.mint.hex(50)
    path = {
        "linux": "etc/buildkite-agent/buildkite-agent.cfg",
        "macos": "opt/homebrew/etc/buildkite-agent/buildkite-agent.cfg",
    }[ep.tree]
    simple(
        ep,
        path,
        "buildkite",
        f'name="%hostname-%spawn"\ntags="queue={ep.mint.word()}"',
        f'token="{value}"',
        value,
        'build-path="/var/lib/buildkite-agent/builds"',
    )


def plant_system_natives(ep: Endpoint) -> None:
    if ep.tree == "windows":
        gpp_cpassword(ep)
        machine_key(ep)
    else:
        buildkite_agent(ep)
    if ep.tree == "linux":
        gitea_server(ep)
        jenkins_home(ep)
