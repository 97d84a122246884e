"""Hard negatives of the kinds issue #8 lists, for the benchmark corpus: text a scanner reports and should not.

Each maker returns (kind, text) in one file syntax. Kinds:
placeholder-echo (the value repeats the key name: `my_access_token`, `YOUR_TOKEN`, `<ZENDESK_API_TOKEN>`),
docstring-type (`:type password: str`, `@param {string} apiKey`), request-token-uuid (idempotency, client
request, continuation and page tokens under `*Token` keys; AWS CLI `NextToken`), error-code-constant
(`INVALID_API_KEY: 'auth/invalid-api-key'`), type-name-key (`"AWS::ApiGateway::ApiKey"`, Terraform resource
types), arn (Secrets Manager, SSM, KMS ARNs), aws-example and azurite-dev-key (published samples, in code),
public-by-design (Sentry DSN without secret, Algolia search-only key, Stripe publishable key, LaunchDarkly
client-side id), public-client-id (OAuth client ids next to their secrets), ci-cache-key (CI cache keys and
`${{ secrets.X }}` references), minified-literals (one long minified line of adjacent string literals such as
`apiKey:"apiKey"`), dpapi-blob (NuGet's encrypted `apikeys`).
"""

from __future__ import annotations

import base64
import json
import string

from bench.corpus import _AWS_EXAMPLE_ID, _AWS_EXAMPLE_SECRET, _AZURITE_KEY, Draft, Mint, _minified_js

_ALNUM = string.ascii_letters + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits

_TOKEN_NAMES = (
    "ZENDESK_API_TOKEN",
    "DOPPLER_TOKEN",
    "NOTION_TOKEN",
    "SENTRY_AUTH_TOKEN",
    "VERCEL_TOKEN",
    "TAILSCALE_AUTHKEY",
    "HUBSPOT_ACCESS_TOKEN",
    "OKTA_API_TOKEN",
    "ACCESS_TOKEN",
    "API_KEY",
)


def placeholder_echo(m: Mint, name: str | None = None) -> str:
    """A value that only names the thing: the key name again, `my_`/`your_`/`<...>` forms of it."""
    name = name or m.rng.choice(_TOKEN_NAMES)
    lower = name.lower()
    return m.rng.choice(
        (
            f"my_{lower}",
            f"YOUR_{name}",
            f"<{name}>",
            f"your-{lower.replace('_', '-')}",
            lower,
            name,
            f"{lower}_goes_here",
            f"[{name}]",
        )
    )


def _assign(style: str, name: str, value: str) -> str:
    if style == "env":
        return f"{name}={value}"
    if style == "yaml":
        return f"      {name}: {json.dumps(value)}"
    if style == "json":
        return f'  "{name}": {json.dumps(value)},'
    if style == "py":
        return f"{name} = {json.dumps(value)}"
    if style == "js":
        return f"export const {name} = {json.dumps(value)};"
    if style == "cs":
        return f"        public const string {name} = {json.dumps(value)};"
    if style == "go":
        return f"\t{name} = {json.dumps(value)}"
    if style == "xml":
        return f'    <add key="{name}" value="{value}" />'
    return f"{name} = {value}"


def negative_for(m: Mint, style: str) -> tuple[str, str]:
    """One hard negative written as a line (or lines) of a file in `style`."""
    rng = m.rng
    roll = rng.randrange(9)
    if roll == 0:
        name = rng.choice(_TOKEN_NAMES)
        return "placeholder-echo", _assign(style, name, placeholder_echo(m, name))
    if roll == 1:
        key = rng.choice(
            (
                "IdempotencyToken",
                "ClientRequestToken",
                "continuationToken",
                "pageToken",
                "requestToken",
                "idempotency_token",
            )
        )
        return "request-token-uuid", _assign(style, key, m.gen("uuid"))
    if roll == 2:
        name, code = rng.choice(
            (
                ("INVALID_API_KEY", "auth/invalid-api-key"),
                ("API_KEY_EXPIRED", "API_KEY_EXPIRED"),
                ("TOKEN_EXPIRED", "auth/user-token-expired"),
                ("INVALID_PASSWORD", "auth/wrong-password"),
                ("MISSING_CLIENT_SECRET", "missing_client_secret"),
                ("ERR_INVALID_ACCESS_TOKEN", "invalid_access_token"),
            )
        )
        return "error-code-constant", _assign(style, name, code)
    if roll == 3:
        return "arn", _assign(
            style, rng.choice(("SECRET_ARN", "DB_PASSWORD_SECRET_ARN", "API_TOKEN_PARAM_ARN")), arn(m)
        )
    if roll == 4:
        value = rng.choice((_AWS_EXAMPLE_ID, _AWS_EXAMPLE_SECRET))
        name = "AWS_ACCESS_KEY_ID" if value == _AWS_EXAMPLE_ID else "AWS_SECRET_ACCESS_KEY"
        return "aws-example", _assign(style, name, value)
    if roll == 5:
        return "azurite-dev-key", _assign(
            style,
            "STORAGE_CONNECTION",
            f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={_AZURITE_KEY};",
        )
    if roll == 6:
        return public_by_design(m, style)
    if roll == 7:
        name = rng.choice(("TWITCH_CLIENT_ID", "ZOOM_CLIENT_ID", "BOX_CLIENT_ID", "AUTH0_CLIENT_ID"))
        return "public-client-id", _assign(style, name, m.chars(_LOWER_ALNUM, rng.choice((22, 30, 32))))
    return "empty-or-null", _assign(style, rng.choice(_TOKEN_NAMES), rng.choice(("", "null", "none")))


def arn(m: Mint) -> str:
    account, region = m.digits(12), m.rng.choice(("us-east-1", "eu-west-1", "ap-southeast-2"))
    return m.rng.choice(
        (
            f"arn:aws:secretsmanager:{region}:{account}:secret:prod/{m.word()}/api-token-{m.chars(_ALNUM, 6)}",
            f"arn:aws:ssm:{region}:{account}:parameter/prod/{m.word()}/db_password",
            f"arn:aws:kms:{region}:{account}:key/{m.gen('uuid')}",
            f"arn:aws:iam::{account}:role/{m.word()}-secrets-reader",
        )
    )


def public_by_design(m: Mint, style: str) -> tuple[str, str]:
    """Keys their providers publish to browsers and apps: not secrets, though they look like them."""
    roll = m.rng.randrange(4)
    if roll == 0:
        dsn = f"https://{m.hex(32)}@o{m.digits(6)}.ingest.sentry.io/{m.digits(7)}"
        return "public-by-design", _assign(style, "SENTRY_DSN", dsn)
    if roll == 1:
        return "public-by-design", _assign(style, "NEXT_PUBLIC_ALGOLIA_SEARCH_KEY", m.hex(32))
    if roll == 2:
        return "public-by-design", _assign(style, "STRIPE_PUBLISHABLE_KEY", "pk_" + "live_" + m.chars(_ALNUM, 24))
    return "public-by-design", _assign(style, "LAUNCHDARKLY_CLIENT_SIDE_ID", m.hex(24))


def add_code_negatives(draft: Draft, m: Mint, language: str) -> None:
    """Docstrings and type names that say `password` or `token` in a source file of `language`."""
    if language == "py":
        draft.add("def connect(host, user, password, api_token=None):")
        draft.negative(
            "docstring-type",
            '    """Open a session.\n\n    :param password: the account password\n'
            "    :type password: str\n    :param api_token: the API token, if any\n"
            '    :type api_token: str or None\n    """',
        )
        draft.add("    return Session(host, user, password, api_token)\n")
    elif language == "js":
        draft.negative(
            "docstring-type",
            "/**\n * @param {string} apiKey - the API key of the account\n"
            " * @param {string} [secretToken] - the webhook secret token\n */",
        )
        draft.add("export function sign(apiKey, secretToken) { return hmac(secretToken, apiKey); }\n")
    elif language == "cs":
        draft.negative(
            "docstring-type",
            '        /// <param name="password">The user\'s password.</param>\n'
            '        /// <param name="apiToken">The API token.</param>',
        )
        draft.add("        public static bool Login(string password, string apiToken) => true;\n")
    else:
        draft.negative(
            "docstring-type",
            "// Client holds the API token and password used for basic auth.\n"
            'type Client struct {\n\tAPIToken string `json:"api_token"`\n'
            '\tPassword string `json:"password"`\n}',
        )


def cloudformation(draft: Draft, m: Mint) -> None:
    """A CloudFormation template that names secret resource types and ARNs, with no secret in it."""
    draft.add('{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {')
    for logical, kind in (
        ("DeployKey", "AWS::IAM::AccessKey"),
        ("PublicApiKey", "AWS::ApiGateway::ApiKey"),
        ("DbSecret", "AWS::SecretsManager::Secret"),
    ):
        draft.add(f'    "{logical}": {{')
        draft.negative("type-name-key", f'      "Type": "{kind}",')
        draft.add('      "Properties": {}\n    },')
    draft.negative("arn", f'    "SecretArn": {{ "Value": "{arn(m)}" }},')
    draft.negative(
        "type-name-key",
        '    "Mapping": { "AWS::ApiGateway::ApiKey": "apiKey", "AWS::SecretsManager::Secret": "secretString" }',
    )
    draft.add("  }\n}")


def aws_cli_output(draft: Draft, m: Mint) -> None:
    """`aws ... --output json` saved to a file: request ids and a base64 NextToken, no secret."""
    draft.add('{\n  "SecretList": [')
    draft.negative("arn", f'    {{"ARN": "{arn(m)}", "Name": "prod/{m.word()}/api-token"}}')
    draft.add("  ],")
    token = base64.b64encode(
        json.dumps({"NextToken": None, "boto_truncate_amount": m.rng.randrange(2, 50), "marker": m.hex(32)}).encode()
    ).decode()
    draft.negative("request-token-uuid", f'  "NextToken": "{token}",')
    draft.negative("request-token-uuid", f'  "ResponseMetadata": {{"RequestId": "{m.gen("uuid")}"}}')
    draft.add("}")


def minified_literals(m: Mint, size: int) -> str:
    """One long minified line of ordinary code with each credential-ish literal pair in it once.

    Names such as `apiKey:"apiKey"` or `"access_token","refresh_token"` sit next to other string literals,
    never next to a value; each appears once, as in a real bundle, so one bad rule costs a few findings.
    """
    rng = m.rng
    pieces = [
        template.format(a=rng.choice(string.ascii_letters), b=rng.choice(string.ascii_letters))
        for template in (
            'var {a}={{apiKey:"apiKey",token:"token",password:"password",secret:"client_secret"}};',
            '{a}.headers["X-Api-Key"]={b}.apiKey,{a}.headers.Authorization="Bearer "+{b}.accessToken;',
            '{a}=["access_token","refresh_token","id_token","token_type"];',
            'const {a}={{INVALID_API_KEY:"auth/invalid-api-key",TOKEN_EXPIRED:"auth/user-token-expired"}};',
            '{a}("password","Password",{{type:"password",autocomplete:"current-password"}});',
            'if({a}.type==="apiKey"||{a}.in==="header"){{{b}[{a}.name]={a}.value}}',
            '{a}.exports={{AWS_SECRET_ACCESS_KEY:"AWS_SECRET_ACCESS_KEY",SESSION_TOKEN:"sessionToken"}};',
            "function {a}({b}){{return {b}.secretAccessKey&&{b}.accessKeyId}}",
        )
    ]
    filler = _minified_js(m, size)
    cuts = sorted(rng.sample(range(len(filler)), len(pieces)))
    out, last = [], 0
    for cut, piece in zip(cuts, pieces, strict=True):
        # cut at a statement end so the pieces stay whole statements
        end = filler.find(";", cut) + 1 or len(filler)
        end = max(end, last)
        out += [filler[last:end], piece]
        last = end
    return "".join([*out, filler[last:]])


def ci_cache_keys(draft: Draft, style: str) -> None:
    if style == "github":
        draft.negative("ci-cache-key", "          key: ${{ runner.os }}-node-${{ hashFiles('**/package-lock.json') }}")
        draft.negative("ci-cache-key", "          token: ${{ secrets.DEPLOY_TOKEN }}")
    else:
        draft.negative("ci-cache-key", '        key: v1-deps-{{ checksum "package-lock.json" }}')


def dpapi_nuget_key(m: Mint) -> str:
    blob = base64.b64encode(
        b"\x01\x00\x00\x00\xd0\x8c\x9d\xdf\x01\x15\xd1\x11\x8cz\x00\xc0O\xc2\x97\xeb"
        + m.rng.randbytes(m.rng.randrange(180, 240))
    ).decode()
    return f'    <add key="https://www.nuget.org/api/v2/package" value="{blob}" />'
