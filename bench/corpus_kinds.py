"""The provider credential types the corpus plants for issue #8's new families, and their severity class.

One `TokenKind` per credential type (shapes in `bench.corpus_tokens`). `alone=False` marks an opaque value
(hex, alphanumerics, a UUID) that is a secret only because of the variable name it sits under; those are
always planted with a name. The severity class is what a responder would feel on reading the finding:
critical for credentials that deploy code or read other secrets, high for API keys of SaaS data, medium for
webhook URLs that only post messages.
"""

from __future__ import annotations

from bench import corpus_tokens as t
from bench.corpus_tokens import ALNUM as _ALNUM
from bench.corpus_tokens import B64URL as _B64URL
from bench.corpus_tokens import LOWER_ALNUM as _LOWER_ALNUM
from bench.corpus_tokens import UPPER_ALNUM as _UPPER_ALNUM
from bench.corpus_tokens import TokenKind

K = TokenKind
KINDS: tuple[TokenKind, ...] = (
    K("adobe", ("ADOBE_CLIENT_SECRET", "adobeClientSecret"), t.prefixed("p8e-", _B64URL, 32)),
    K("airtable", ("AIRTABLE_API_KEY", "AIRTABLE_TOKEN"), lambda m: f"pat{m.chars(_ALNUM, 14)}.{m.hex(64)}"),
    K("airtable", ("AIRTABLE_API_KEY",), t.prefixed("key", _ALNUM, 14), alone=False),
    K("algolia", ("ALGOLIA_ADMIN_KEY", "ALGOLIA_API_KEY"), t.hexes(32), alone=False),
    K("asana", ("ASANA_ACCESS_TOKEN", "ASANA_PAT"), t.asana_pat),
    K("auth0", ("AUTH0_CLIENT_SECRET",), t.prefixed("", _B64URL, 64), alone=False),
    K("auth0", ("AUTH0_MANAGEMENT_TOKEN", "AUTH0_API_TOKEN"), lambda m: m.gen("jwt"), alone=False),
    K("bitbucket", ("BITBUCKET_APP_PASSWORD",), t.prefixed("ATBB", _ALNUM, 32)),
    K("bitbucket", ("BITBUCKET_ACCESS_TOKEN",), t.atlassian_style("ATCTT3xFfGN0")),
    K("box", ("BOX_CLIENT_SECRET", "BOX_DEVELOPER_TOKEN"), t.alnum(32), alone=False),
    K("brevo", ("BREVO_API_KEY", "SENDINBLUE_API_KEY"), t.brevo("xkeysib")),
    K("brevo", ("BREVO_SMTP_KEY",), t.brevo("xsmtpsib")),
    K("buildkite", ("BUILDKITE_API_TOKEN",), t.prefixed("bkua_", "0123456789abcdef", 40)),
    K("buildkite", ("BUILDKITE_AGENT_TOKEN",), t.prefixed("bkaa_", _ALNUM, 75)),
    K("circleci", ("CIRCLECI_TOKEN", "CIRCLE_TOKEN"), t.circleci("CCIPAT")),
    K("circleci", ("CIRCLECI_PROJECT_TOKEN",), t.circleci("CCIPRJ")),
    K("clickup", ("CLICKUP_API_TOKEN", "CLICKUP_TOKEN"), t.clickup),
    K("clojars", ("CLOJARS_DEPLOY_TOKEN", "CLOJARS_PASSWORD"), t.prefixed("CLOJARS_", "0123456789abcdef", 60)),
    K("codecov", ("CODECOV_TOKEN",), t.uuid, alone=False),
    K("contentful", ("CONTENTFUL_MANAGEMENT_TOKEN",), t.prefixed("CFPAT-", _B64URL, 43)),
    K("contentful", ("CONTENTFUL_DELIVERY_TOKEN", "CONTENTFUL_ACCESS_TOKEN"), t.prefixed("", _B64URL, 43), alone=False),
    K("discourse", ("DISCOURSE_API_KEY",), t.hexes(64), alone=False),
    K("doppler", ("DOPPLER_TOKEN",), t.doppler("st")),
    K("doppler", ("DOPPLER_TOKEN", "DOPPLER_PERSONAL_TOKEN"), t.doppler("pt")),
    K("doppler", ("DOPPLER_TOKEN",), t.doppler("sa")),
    K("dropbox", ("DROPBOX_ACCESS_TOKEN", "DROPBOX_TOKEN"), t.dropbox_short),
    K("dropbox", ("DROPBOX_ACCESS_TOKEN",), t.dropbox_long, alone=False),
    K("dropbox", ("DROPBOX_APP_SECRET",), t.lower(15), alone=False),
    K("facebook", ("FACEBOOK_ACCESS_TOKEN", "FB_PAGE_TOKEN"), t.facebook_token),
    K("facebook", ("FACEBOOK_APP_SECRET", "FB_APP_SECRET"), t.hexes(32), alone=False),
    K("facebook", ("FACEBOOK_APP_TOKEN",), t.facebook_app_token),
    K("figma", ("FIGMA_TOKEN", "FIGMA_ACCESS_TOKEN"), t.prefixed("figd_", _B64URL, 40)),
    K("flyio", ("FLY_API_TOKEN",), t.prefixed("fo1_", _B64URL, 43)),
    K("flyio", ("FLY_API_TOKEN",), t.flyio_macaroon),
    K("freshdesk", ("FRESHDESK_API_KEY",), t.alnum(20), alone=False),
    K("gitea", ("GITEA_TOKEN", "FORGEJO_TOKEN"), t.hexes(40), alone=False),
    K("gitea", ("GITEA_RUNNER_REGISTRATION_TOKEN",), t.alnum(40), alone=False),
    K("harness", ("HARNESS_API_KEY", "HARNESS_PLATFORM_API_KEY"), t.harness("pat")),
    K("harness", ("HARNESS_API_KEY",), t.harness("sat")),
    K("heroku", ("HEROKU_API_KEY",), t.heroku),
    K("heroku", ("HEROKU_API_KEY",), t.uuid, alone=False),
    K(
        "hubspot",
        ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_PRIVATE_APP_TOKEN"),
        lambda m: f"pat-{m.rng.choice(('na1', 'eu1', 'na2'))}-{m.gen('uuid')}",
    ),
    K("hubspot", ("HUBSPOT_API_KEY", "HAPIKEY"), t.uuid, alone=False),
    K("infisical", ("INFISICAL_TOKEN",), t.infisical_service),
    K("infisical", ("INFISICAL_CLIENT_SECRET",), t.hexes(64), alone=False),
    K("infracost", ("INFRACOST_API_KEY",), t.prefixed("ico-", _ALNUM, 32)),
    K("intercom", ("INTERCOM_ACCESS_TOKEN", "INTERCOM_TOKEN"), t.intercom),
    K("jenkins", ("JENKINS_API_TOKEN", "JENKINS_TOKEN"), t.jenkins_api, alone=False),
    K("jfrog", ("JFROG_ACCESS_TOKEN", "ARTIFACTORY_ACCESS_TOKEN"), t.jfrog_reference),
    K("jfrog", ("ARTIFACTORY_API_KEY",), t.prefixed("AKCp", _ALNUM, 69)),
    K("launchdarkly", ("LAUNCHDARKLY_SDK_KEY", "LD_SDK_KEY"), lambda m: "sdk-" + m.gen("uuid")),
    K("launchdarkly", ("LAUNCHDARKLY_ACCESS_TOKEN", "LD_API_KEY"), lambda m: "api-" + m.gen("uuid")),
    K("launchdarkly", ("LAUNCHDARKLY_MOBILE_KEY",), lambda m: "mob-" + m.gen("uuid")),
    K("mailchimp", ("MAILCHIMP_API_KEY",), t.mailchimp),
    K("mailchimp", ("MANDRILL_API_KEY", "MAILCHIMP_TRANSACTIONAL_KEY"), t.prefixed("md-", _B64URL, 22)),
    K("mailgun", ("MAILGUN_API_KEY",), t.prefixed("key-", "0123456789abcdef", 32)),
    K("mailgun", ("MAILGUN_API_KEY", "MAILGUN_PRIVATE_KEY"), t.mailgun_private),
    K("mailgun", ("MAILGUN_WEBHOOK_SIGNING_KEY",), t.hexes(32), alone=False),
    K("mailjet", ("MJ_APIKEY_PRIVATE", "MAILJET_SECRET_KEY"), t.hexes(32), alone=False),
    K("mattermost", ("MATTERMOST_TOKEN", "MM_BOT_TOKEN"), t.lower(26), alone=False),
    K("mattermost", ("MATTERMOST_WEBHOOK_URL",), t.mattermost_hook),
    K("mixpanel", ("MIXPANEL_API_SECRET", "MIXPANEL_SERVICE_ACCOUNT_SECRET"), t.hexes(32), alone=False),
    K("monday", ("MONDAY_API_TOKEN", "MONDAY_TOKEN"), t.monday_jwt, alone=False),
    K("msteams", ("TEAMS_WEBHOOK_URL", "MS_TEAMS_WEBHOOK"), t.msteams_webhook),
    K("msteams", ("TEAMS_WORKFLOW_URL",), t.msteams_workflow),
    K("netlify", ("NETLIFY_AUTH_TOKEN",), t.prefixed("nfp_", _ALNUM, 36)),
    K("netlify", ("NETLIFY_AUTH_TOKEN",), t.prefixed("", _B64URL, 43), alone=False),
    K("ngrok", ("NGROK_AUTHTOKEN",), t.ngrok, alone=False),
    K("ngrok", ("NGROK_API_KEY",), t.ngrok, alone=False),
    K("notion", ("NOTION_TOKEN", "NOTION_API_KEY"), t.notion),
    K("nuget", ("NUGET_API_KEY",), t.prefixed("oy2", _LOWER_ALNUM, 43)),
    K("octopus", ("OCTOPUS_API_KEY", "OCTOPUS_CLI_API_KEY"), t.prefixed("API-", _UPPER_ALNUM, 27)),
    K("okta", ("OKTA_API_TOKEN", "OKTA_CLIENT_TOKEN"), t.prefixed("00", _B64URL, 40), alone=False),
    K("onepassword", ("OP_SERVICE_ACCOUNT_TOKEN",), t.onepassword_service),
    K("onepassword", ("OP_CONNECT_TOKEN",), lambda m: m.gen("jwt"), alone=False),
    K("pagerduty", ("PAGERDUTY_TOKEN", "PAGERDUTY_API_KEY"), t.pagerduty_rest, alone=False),
    K("pagerduty", ("PAGERDUTY_INTEGRATION_KEY", "PAGERDUTY_ROUTING_KEY"), t.hexes(32), alone=False),
    K("postmark", ("POSTMARK_SERVER_TOKEN", "POSTMARK_API_TOKEN"), t.uuid, alone=False),
    K("prefect", ("PREFECT_API_KEY",), t.prefixed("pnu_", _ALNUM, 36)),
    K("pulumi", ("PULUMI_ACCESS_TOKEN",), t.prefixed("pul-", "0123456789abcdef", 40)),
    K("railway", ("RAILWAY_TOKEN", "RAILWAY_API_TOKEN"), t.uuid, alone=False),
    K("render", ("RENDER_API_KEY",), t.prefixed("rnd_", _ALNUM, 32)),
    K("render", ("RENDER_DEPLOY_HOOK_URL",), t.render_hook),
    K("rubygems", ("GEM_HOST_API_KEY", "RUBYGEMS_API_KEY"), t.prefixed("rubygems_", "0123456789abcdef", 48)),
    K("salesforce", ("SF_ACCESS_TOKEN", "SALESFORCE_ACCESS_TOKEN"), t.salesforce_access),
    K("salesforce", ("SALESFORCE_REFRESH_TOKEN",), t.salesforce_refresh),
    K("salesforce", ("SALESFORCE_CONSUMER_SECRET", "SF_CLIENT_SECRET"), lambda m: m.gen("HEX", "64"), alone=False),
    K("scalingo", ("SCALINGO_API_TOKEN",), t.prefixed("tk-us-", _B64URL, 48)),
    K("segment", ("SEGMENT_PUBLIC_API_TOKEN",), t.prefixed("sgp_", _ALNUM, 64)),
    K("segment", ("SEGMENT_WRITE_KEY",), t.alnum(32), alone=False),
    K("sentry", ("SENTRY_AUTH_TOKEN",), t.sentry_org),
    K("sentry", ("SENTRY_AUTH_TOKEN",), t.prefixed("sntryu_", "0123456789abcdef", 64)),
    K("sentry", ("SENTRY_DSN",), t.sentry_dsn_secret),
    K("snyk", ("SNYK_TOKEN",), t.uuid, alone=False),
    K("sonar", ("SONAR_TOKEN",), lambda m: m.rng.choice(("squ_", "sqp_", "sqa_")) + m.hex(40)),
    K("sonar", ("SONAR_TOKEN", "SONAR_LOGIN"), t.hexes(40), alone=False),
    K("sourcegraph", ("SRC_ACCESS_TOKEN",), t.sourcegraph),
    K("sumologic", ("SUMO_ACCESS_KEY", "SUMOLOGIC_ACCESSKEY"), t.alnum(64), alone=False),
    K("sumologic", ("SUMO_COLLECTOR_URL", "SUMOLOGIC_HTTP_SOURCE"), t.sumologic_url),
    K("tailscale", ("TS_AUTHKEY", "TAILSCALE_AUTHKEY"), t.tailscale("auth")),
    K("tailscale", ("TAILSCALE_API_KEY",), t.tailscale("api")),
    K("tailscale", ("TS_OAUTH_CLIENT_SECRET",), t.tailscale("client")),
    K("travis", ("TRAVIS_TOKEN", "TRAVIS_API_TOKEN"), t.prefixed("", _B64URL, 22), alone=False),
    K("trello", ("TRELLO_TOKEN",), lambda m: "ATTA" + m.hex(64) + m.gen("HEX", "8")),
    K("trello", ("TRELLO_API_KEY",), t.hexes(32), alone=False),
    K("twitch", ("TWITCH_CLIENT_SECRET",), t.lower(30), alone=False),
    K("twitch", ("TWITCH_OAUTH_TOKEN", "TWITCH_ACCESS_TOKEN"), t.lower(30), alone=False),
    K("twitter", ("TWITTER_BEARER_TOKEN", "X_BEARER_TOKEN"), t.twitter_bearer),
    K("twitter", ("TWITTER_API_SECRET", "TWITTER_CONSUMER_SECRET"), t.alnum(50), alone=False),
    K("twitter", ("TWITTER_ACCESS_TOKEN",), t.twitter_access),
    K("typeform", ("TYPEFORM_TOKEN", "TYPEFORM_API_TOKEN"), t.typeform),
    K("vercel", ("VERCEL_TOKEN",), t.vercel),
    K("vercel", ("VERCEL_TOKEN",), t.alnum(24), alone=False),
    K("webex", ("WEBEX_ACCESS_TOKEN", "WEBEX_BOT_TOKEN"), t.webex),
    K("webex", ("WEBEX_CLIENT_SECRET",), t.hexes(64), alone=False),
    K("zapier", ("ZAPIER_WEBHOOK_URL",), t.zapier_hook),
    K("zendesk", ("ZENDESK_API_TOKEN",), t.alnum(40), alone=False),
    K("zoom", ("ZOOM_CLIENT_SECRET",), t.alnum(32), alone=False),
    K("zoom", ("ZOOM_WEBHOOK_SECRET_TOKEN",), t.prefixed("", _B64URL, 22), alone=False),
)

_CRITICAL = {
    "auth0",
    "bitbucket",
    "buildkite",
    "circleci",
    "clojars",
    "doppler",
    "flyio",
    "gitea",
    "harness",
    "heroku",
    "infisical",
    "jenkins",
    "jfrog",
    "netlify",
    "nuget",
    "octopus",
    "okta",
    "onepassword",
    "pulumi",
    "railway",
    "render",
    "rubygems",
    "salesforce",
    "scalingo",
    "tailscale",
    "vercel",
    "windows-gpp",
    "dotnet-machine-key",
    "prefect",
}
_MEDIUM = {
    "msteams",
    "zapier",
}


def severity(family: str) -> str:
    if family in _CRITICAL:
        return "critical"
    if family in _MEDIUM:
        return "medium"
    return "high"


# Families placed only by their own files (bench.corpus_families native scenarios), not by KINDS.
NATIVE_ONLY = ("windows-gpp", "dotnet-machine-key", "bundler")
SEVERITY = {kind.family: severity(kind.family) for kind in KINDS} | {f: severity(f) for f in NATIVE_ONLY}
