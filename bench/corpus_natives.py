"""The new families' own files in the benchmark corpus: where each provider's CLI, agent or server keeps a secret.

Per user profile (alternating halves, like the token kinds): ngrok.yml, .sentryclirc, ~/.gem/credentials,
~/.bundle/config, NuGet.Config (clear-text feed password; its DPAPI `apikeys` is a hard negative), the Travis
CLI config, the Gitea `tea` login, Pulumi credentials.json, the Vercel CLI auth.json, the Netlify CLI
config.json, the flyctl config, the Doppler CLI config, Prefect profiles.toml, the Snyk configstore, the
CircleCI CLI config, Infracost credentials, okta.yaml, the JFrog CLI config, a Box JWT app config download, a
1Password Emergency Kit copied to a text file, codecov.yml. Machine-wide files are in `corpus_servers`.
"""

from __future__ import annotations

from collections.abc import Callable

from bench import corpus_tokens as t
from bench.corpus import UTF8, UTF8_BOM_CRLF, UTF8_CRLF, Draft, Endpoint, _json_escape


def _place(ep: Endpoint, home: str, linux: str, mac: str | None = None, win: str | None = None) -> str:
    rel = {"linux": linux, "macos": mac or linux, "windows": win or linux}[ep.tree]
    return f"{home}/{rel}"


def _file(ep: Endpoint, path: str, *, crlf: bool = False) -> Draft:
    return ep.draft(path, UTF8_CRLF if crlf and ep.tree == "windows" else UTF8)


def simple(ep: Endpoint, path: str, family: str, before: str, line: str, value: str, after: str = "") -> None:
    draft = _file(ep, path, crlf=True)
    if before:
        draft.add(before)
    draft.secret(family, line, value)
    if after:
        draft.add(after)
    ep.write(draft)


def ngrok(ep: Endpoint, home: str, project: str) -> None:
    value = t.ngrok(ep.mint)
    path = _place(
        ep,
        home,
        ".config/ngrok/ngrok.yml",
        "Library/Application Support/ngrok/ngrok.yml",
        "AppData/Local/ngrok/ngrok.yml",
    )
    simple(
        ep,
        path,
        "ngrok",
        'version: "3"\nagent:',
        f"    authtoken: {value}",
        value,
        f"tunnels:\n    web:\n        proto: http\n        addr: {ep.rng.randrange(3000, 9000)}",
    )


def sentryclirc(ep: Endpoint, home: str, project: str) -> None:
    value = t.sentry_org(ep.mint) if ep.rng.random() < 0.5 else "sntryu_" + ep.mint.hex(64)
    simple(
        ep,
        f"{home}/.sentryclirc",
        "sentry",
        "[defaults]\norg = " + ep.mint.word() + "\n\n[auth]",
        f"token={value}",
        value,
    )


def gem_credentials(ep: Endpoint, home: str, project: str) -> None:
    value = "rubygems_" + ep.mint.hex(48)
    simple(ep, f"{home}/.gem/credentials", "rubygems", "---", f":rubygems_api_key: {value}", value)


def bundle_config(ep: Endpoint, home: str, project: str) -> None:
    value = f"{ep.mint.word()}:{ep.mint.hex(16)}"
    simple(
        ep,
        f"{home}/.bundle/config",
        "bundler",
        '---\nBUNDLE_JOBS: "4"',
        f'BUNDLE_GEMS__CONTRIBSYS__COM: "{value}"',
        value,
    )


def nuget_config(ep: Endpoint, home: str, project: str) -> None:
    from bench.corpus_negatives import dpapi_nuget_key

    path = _place(ep, home, ".nuget/NuGet/NuGet.Config", win="AppData/Roaming/NuGet/NuGet.Config")
    draft = ep.draft(path, UTF8_BOM_CRLF if ep.tree == "windows" else UTF8)
    draft.add('<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <packageSources>')
    draft.add('    <add key="internal" value="https://pkgs.example.com/nuget/v3/index.json" />\n  </packageSources>')
    draft.add("  <packageSourceCredentials>\n    <internal>")
    draft.add(f'      <add key="Username" value="{ep.mint.word()}" />')
    value = ep.mint.gen("alnum", str(ep.rng.randrange(20, 40)))
    draft.secret("nuget", f'      <add key="ClearTextPassword" value="{value}" />', value)
    draft.add("    </internal>\n  </packageSourceCredentials>\n  <apikeys>")
    draft.negative("dpapi-blob", dpapi_nuget_key(ep.mint))
    draft.add("  </apikeys>\n</configuration>")
    ep.write(draft)


def travis(ep: Endpoint, home: str, project: str) -> None:
    value = ep.mint.chars(t.B64URL, 22)
    simple(
        ep,
        f"{home}/.travis/config.yml",
        "travis",
        "endpoints:\n  https://api.travis-ci.com/:",
        f"    access_token: {value}",
        value,
        "default_endpoint: https://api.travis-ci.com/",
    )


def tea(ep: Endpoint, home: str, project: str) -> None:
    value = ep.mint.hex(40)
    simple(
        ep,
        _place(ep, home, ".config/tea/config.yml", win="AppData/Roaming/tea/config.yml"),
        "gitea",
        f"logins:\n  - name: work\n    url: https://gitea.{ep.mint.word()}.example.com",
        f"    token: {value}",
        value,
        "    default: true\n    user: " + ep.mint.word(),
    )


def pulumi(ep: Endpoint, home: str, project: str) -> None:
    value = "pul-" + ep.mint.hex(40)
    simple(
        ep,
        f"{home}/.pulumi/credentials.json",
        "pulumi",
        '{\n    "current": "https://api.pulumi.com",\n    "accessTokens": {',
        f'        "https://api.pulumi.com": "{value}"',
        value,
        '    },\n    "accounts": {\n        "https://api.pulumi.com": {\n'
        f'            "username": "{ep.mint.word()}"\n        }}\n    }}\n}}',
    )


def vercel(ep: Endpoint, home: str, project: str) -> None:
    value = t.vercel(ep.mint) if ep.rng.random() < 0.5 else ep.mint.gen("alnum", "24")
    path = _place(
        ep,
        home,
        ".local/share/com.vercel.cli/auth.json",
        "Library/Application Support/com.vercel.cli/auth.json",
        "AppData/Roaming/com.vercel.cli/Data/auth.json",
    )
    simple(
        ep,
        path,
        "vercel",
        '{\n  "// Note": "This is your Vercel credentials file. DO NOT SHARE!",',
        f'  "token": "{value}"',
        value,
        "}",
    )


def netlify(ep: Endpoint, home: str, project: str) -> None:
    mint = ep.mint
    value = "nfp_" + mint.chars(t.ALNUM, 36) if ep.rng.random() < 0.6 else mint.chars(t.B64URL, 43)
    user = mint.hex(24)
    path = _place(
        ep,
        home,
        ".config/netlify/config.json",
        "Library/Preferences/netlify/config.json",
        "AppData/Roaming/netlify/Config/config.json",
    )
    draft = ep.draft(path)
    draft.add('{\n  "telemetryDisabled": false,')
    draft.negative("uuid", f'  "cliId": "{mint.gen("uuid")}",')
    draft.add(f'  "userId": "{user}",\n  "users": {{\n    "{user}": {{\n      "id": "{user}",\n      "auth": {{')
    draft.secret("netlify", f'        "token": "{value}",', value)
    draft.add('        "github": {"user": null, "token": null}\n      }\n    }\n  }\n}')
    ep.write(draft)


def flyctl(ep: Endpoint, home: str, project: str) -> None:
    value = t.flyio_macaroon(ep.mint) if ep.rng.random() < 0.5 else "fo1_" + ep.mint.chars(t.B64URL, 43)
    simple(
        ep,
        f"{home}/.fly/config.yml",
        "flyio",
        "",
        f"access_token: {value}",
        value,
        "last_login: 2024-05-02T09:14:00Z\nmetrics_token: ''",
    )


def doppler(ep: Endpoint, home: str, project: str) -> None:
    value = t.doppler("ct")(ep.mint)
    simple(
        ep,
        f"{home}/.doppler/.doppler.yaml",
        "doppler",
        "scoped:\n    /:",
        f"        token: {value}",
        value,
        "        api-host: https://api.doppler.com",
    )


def prefect(ep: Endpoint, home: str, project: str) -> None:
    value = "pnu_" + ep.mint.chars(t.ALNUM, 36)
    simple(
        ep,
        f"{home}/.prefect/profiles.toml",
        "prefect",
        'active = "default"\n\n[profiles.default]',
        f'PREFECT_API_KEY = "{value}"',
        value,
        f'PREFECT_API_URL = "https://api.prefect.cloud/api/accounts/{ep.mint.gen("uuid")}/workspaces/'
        f'{ep.mint.gen("uuid")}"',
    )


def snyk(ep: Endpoint, home: str, project: str) -> None:
    value = ep.mint.gen("uuid")
    path = _place(ep, home, ".config/configstore/snyk.json", win=".config/configstore/snyk.json")
    simple(ep, path, "snyk", "{", f'  "api": "{value}",', value, '  "org": "' + ep.mint.word() + '"\n}')


def circleci(ep: Endpoint, home: str, project: str) -> None:
    value = t.circleci("CCIPAT")(ep.mint)
    simple(ep, f"{home}/.circleci/cli.yml", "circleci", "host: https://circleci.com", f"token: {value}", value)


def infracost(ep: Endpoint, home: str, project: str) -> None:
    value = "ico-" + ep.mint.chars(t.ALNUM, 32)
    simple(
        ep,
        _place(ep, home, ".config/infracost/credentials.yml"),
        "infracost",
        'version: "0.1"',
        f"api_key: {value}",
        value,
        "pricing_api_endpoint: https://pricing.api.infracost.io",
    )


def okta(ep: Endpoint, home: str, project: str) -> None:
    value = "00" + ep.mint.chars(t.B64URL, 40)
    simple(
        ep,
        f"{home}/.okta/okta.yaml",
        "okta",
        f"okta:\n  client:\n    orgUrl: https://dev-{ep.mint.digits(8)}.okta.com",
        f"    token: {value}",
        value,
    )


def jfrog(ep: Endpoint, home: str, project: str) -> None:
    value = t.jfrog_reference(ep.mint)
    simple(
        ep,
        f"{home}/.jfrog/jfrog-cli.conf.v6",
        "jfrog",
        '{\n  "servers": [\n    {\n      "url": "https://' + ep.mint.word() + '.jfrog.io/",',
        f'      "accessToken": "{value}",',
        value,
        '      "serverId": "main",\n      "isDefault": true\n    }\n  ],\n  "version": "6"\n}',
    )


def box_config(ep: Endpoint, home: str, project: str) -> None:
    mint = ep.mint
    draft = ep.draft(f"{home}/Downloads/{mint.digits(9)}_{mint.chars(t.LOWER_ALNUM, 8)}_config.json")
    draft.add('{\n  "boxAppSettings": {')
    draft.negative("public-client-id", f'    "clientID": "{mint.chars(t.LOWER_ALNUM, 32)}",')
    secret = mint.chars(t.ALNUM, 32)
    draft.secret("box", f'    "clientSecret": "{secret}",', secret)
    draft.add(f'    "appAuth": {{\n      "publicKeyID": "{mint.chars(t.LOWER_ALNUM, 8)}",')
    key = mint.gen("pem", "encrypted-pkcs8")
    draft.secret("private-key-encrypted", f'      "privateKey": "{_json_escape(key)}",', key)
    passphrase = mint.hex(32)
    draft.secret("box", f'      "passphrase": "{passphrase}"', passphrase)
    draft.add(f'    }}\n  }},\n  "enterpriseID": "{mint.digits(9)}"\n}}')
    ep.write(draft)


def onepassword_kit(ep: Endpoint, home: str, project: str) -> None:
    value = t.onepassword_secret_key(ep.mint)
    simple(
        ep,
        f"{home}/Documents/1Password Emergency Kit.txt",
        "onepassword",
        f"1Password Emergency Kit\nSign-in address: https://{ep.mint.word()}.1password.com\n"
        f"Email: {ep.mint.word()}@example.com",
        f"Secret Key: {value}",
        value,
        "Master Password: (write it down by hand)",
    )


def codecov_yml(ep: Endpoint, home: str, project: str) -> None:
    value = ep.mint.gen("uuid")
    simple(
        ep,
        f"{project}/codecov.yml",
        "codecov",
        "codecov:\n  require_ci_to_pass: true",
        f"  token: {value}",
        value,
        "coverage:\n  precision: 2",
    )


NATIVES: tuple[Callable[[Endpoint, str, str], None], ...] = (
    ngrok,
    sentryclirc,
    gem_credentials,
    bundle_config,
    nuget_config,
    travis,
    tea,
    pulumi,
    vercel,
    netlify,
    flyctl,
    doppler,
    prefect,
    snyk,
    circleci,
    infracost,
    okta,
    jfrog,
    box_config,
    onepassword_kit,
    codecov_yml,
)


def plant_user_natives(ep: Endpoint, home: str, project: str, user_index: int) -> None:
    for i, scenario in enumerate(NATIVES):
        if i % 2 == user_index % 2:
            scenario(ep, home, project)
