"""Settings of the notifications service (environment variables ``KERJASAMA_*``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from plumbing.settings import ConsumerSettings, Port, PostgresUrl, env_name
from services.notifications.adapters.whatsapp_http import shown
from services.notifications.domain import Policy, Rule
from services.notifications.domain.addresses import AddressRules
from services.notifications.domain.rules import EXPIRY_RULES
from services.notifications.domain.whatsapp import TEMPLATE_NAME


def _comma_separated(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


def whatsapp_missing(settings: NotificationsSettings) -> list[str]:
    """What the chosen WhatsApp provider lacks, each naming its variables."""
    def name(field: str) -> str:
        return env_name(type(settings), field)

    def one_of(field: str) -> str | None:
        value, path = getattr(settings, field), getattr(settings, f"{field}_file")
        if value is not None and path is not None:
            return f"{name(field)} or {name(field + '_file')}, not both"
        if value is None and path is None:
            return f"{name(field)} (or {name(field + '_file')})"
        return None

    def url(field: str) -> str | None:
        value = getattr(settings, field)
        if value is None:
            return name(field)
        allowed = ("https://", "http://") if settings.development else ("https://",)
        if not value.startswith(allowed):
            # shown without its query and credentials: gateways often take ?token=...
            return (f"{name(field)} to start with https:// (plain http only when development "
                    f"is declared), not {shown(value)!r}")
        return None

    if settings.whatsapp_provider == "cloud":
        found = [url("whatsapp_cloud_base_url"), one_of("whatsapp_cloud_token"),
                 None if settings.whatsapp_cloud_phone_number_id else
                 name("whatsapp_cloud_phone_number_id")]
        found += [f"{name('whatsapp_cloud_templates')}: {template!r} (for {rule}) is not a "
                  "template name (lower-case letters, digits, _)"
                  for rule, template in settings.whatsapp_cloud_templates.items()
                  if not TEMPLATE_NAME.fullmatch(template)]
        found += [f"{name('whatsapp_cloud_templates')}: {rule!r} is not a rule"
                  for rule in settings.whatsapp_cloud_templates if rule not in set(Rule)]
    elif settings.whatsapp_provider == "gateway":
        found = [url("whatsapp_gateway_url"), one_of("whatsapp_gateway_token")]
    else:
        found = []
    return [item for item in found if item is not None]


ListFromEnv = Annotated[list[str], NoDecode, BeforeValidator(_comma_separated)]
IntListFromEnv = Annotated[list[int], NoDecode, BeforeValidator(_comma_separated)]
Language = Literal["id", "en"]


class NotificationsSettings(ConsumerSettings):
    """The notifications service's own settings on top of the consumers' ones."""

    notifications_database_url: PostgresUrl = Field(
        "postgresql://postgres@127.0.0.1:5432/kerjasama_notifications",
        description="PostgreSQL database of the notifications service (created if missing).")
    http_port: Port = Field(8002, validation_alias="KERJASAMA_NOTIFICATIONS_PORT",
                            description="Port of the notifications HTTP server.")
    database_pool_size: int = Field(10, ge=2, le=200, description="Connections the service "
                                    "keeps open to its database.")

    smtp_host: str = Field("127.0.0.1", description="SMTP server (a local mail catcher by "
                           "default).")
    smtp_port: Port = Field(1025, description="SMTP port.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with "
                                "STARTTLS (required when true).")
    smtp_username: str | None = Field(None, description="SMTP login; none: no login.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_sender: str = Field("Sekretariat TKKSD <noreply@kerjasama.local>",
                             description="From address of the emails.")
    smtp_timeout_seconds: float = Field(30.0, gt=0, le=600, description="SMTP timeout.")
    webhook_timeout_seconds: float = Field(10.0, gt=0, le=600, description="Webhook timeout "
                                           "(also of resolving a webhook's host).")
    webhook_secret_keys_file: Path | None = Field(
        None, description="File of the keys that encrypt webhook secrets: base64 of 32 random "
        "bytes each (`openssl rand -base64 32`), one per line; the first encrypts, all "
        "decrypt. Required (or KERJASAMA_WEBHOOK_SECRET_KEYS) unless development is declared.")
    webhook_secret_keys: SecretStr | None = Field(
        None, description="The same keys in a variable, comma-separated (instead of the file).")
    webhook_allow_http: bool = Field(False, description="Accept plain http:// webhook URLs "
                                     "(development only).")
    webhook_allow_private_addresses: bool = Field(
        False, description="Accept webhooks to loopback, private, link-local and other "
        "non-public addresses (development only; metadata addresses stay refused).")

    whatsapp_provider: Literal["none", "cloud", "gateway"] = Field(
        "none", description="WhatsApp provider: `none` (contacts' numbers are kept, nothing "
        "is sent), `cloud` (WhatsApp Business Cloud API, template messages) or `gateway` "
        "(a plain HTTP gateway: token, target, message).")
    whatsapp_cloud_base_url: str = Field(
        "https://graph.facebook.com/v21.0", description="Cloud API base URL (with its "
        "version); messages go to <base>/<phone number id>/messages. https only outside "
        "development.")
    whatsapp_cloud_phone_number_id: str | None = Field(
        None, pattern=r"^[0-9]{1,40}$", description="Cloud API: the id of the sending "
        "business phone number (not the number itself).")
    whatsapp_cloud_token: SecretStr | None = Field(None, description="Cloud API access "
                                                   "token (sent as a Bearer token).")
    whatsapp_cloud_token_file: Path | None = Field(None, description="File holding the Cloud "
                                                   "API access token (instead of the variable).")
    whatsapp_cloud_templates: dict[str, str] = Field(
        default_factory=dict, description="Cloud API template names by rule, as JSON "
        '(`{"follow_up_plan_requested": "tindak_lanjut_v2"}`); a rule not named uses '
        "kerjasama_<rule> (the expiry rules kerjasama_expiry).")
    whatsapp_gateway_url: str | None = Field(None, description="Gateway endpoint that takes "
                                             "a POST form of target and message (e.g. "
                                             "https://api.fonnte.com/send). https only "
                                             "outside development.")
    whatsapp_gateway_token: SecretStr | None = Field(None, description="Gateway token (sent "
                                                     "as the Authorization header).")
    whatsapp_gateway_token_file: Path | None = Field(None, description="File holding the "
                                                     "gateway token (instead of the variable).")
    whatsapp_timeout_seconds: float = Field(15.0, gt=0, le=600, description="Timeout of one "
                                            "request to the WhatsApp provider.")

    secretariat_contact: str = Field("TKKSD", pattern=r"^[A-Z0-9_-]+$", description="Contact "
                                     "code of the TKKSD secretariat (PUT /contacts/<code> "
                                     "overrides the emails below).")
    secretariat_name: str = Field("Sekretariat TKKSD Provinsi Jawa Barat",
                                  description="How messages address the secretariat.")
    secretariat_emails: ListFromEnv = Field(["tkksd@kerjasama.local"], description=
                                            "Emails of the secretariat, comma-separated.")
    regional_secretary_contact: str = Field("SEKDA", pattern=r"^[A-Z0-9_-]+$",
                                            description="Contact code of the regional "
                                            "secretary.")
    regional_secretary_name: str = Field("Sekretaris Daerah Provinsi Jawa Barat",
                                         description="How messages address the regional "
                                         "secretary.")
    regional_secretary_emails: ListFromEnv = Field(["sekda@kerjasama.local"], description=
                                                   "Emails of the regional secretary, "
                                                   "comma-separated.")
    default_language: Language = Field("id", description="Language of configured contacts.")

    plan_due_days: int = Field(30, ge=1, le=365, description="Days after signing by which "
                               "the follow-up plan is due.")
    milestone_notice_days: int = Field(7, ge=1, le=90, description="Days before a milestone's "
                                       "due date that it is announced.")
    sleeping_after_days: int = Field(90, ge=1, le=3650, description="Days without follow-up "
                                     "before the sleeping-document warning.")
    sleeping_escalation_days: int = Field(180, ge=2, le=3650, description="Days without "
                                          "follow-up before the regional secretary is told.")
    expiry_notice_days: IntListFromEnv = Field([90, 60, 30, 7, 0], description="Days before "
                                               "the end of validity that are announced.")
    evaluation_notice_days: int = Field(14, ge=0, le=180, description="Days before a "
                                        "semester's end that a missing evaluation is asked.")
    notice_late_days: int = Field(
        30, ge=0, le=36500, description="Old history: an event-driven notice (a proposal, a "
        "signing) about something that happened more than this many days before its event "
        "was recorded is not sent, only logged as skipped; such agreements are listed in "
        "the secretariat's daily digest of late entries instead.")
    late_entries_digest_hour: int = Field(
        7, ge=0, le=23, description="Hour of the business day (WIB, 0-23) from which the "
        "secretariat's daily digest of late-entered agreements is sent.")

    scheduler_interval_seconds: float = Field(60.0, gt=0, le=86400, description="How often "
                                              "the time-driven rules are evaluated.")
    dispatch_interval_seconds: float = Field(1.0, gt=0, le=3600, description="How often "
                                             "pending deliveries are looked for (sooner "
                                             "when this process records one).")
    max_attempts: int = Field(8, ge=1, le=100, description="Attempts of a delivery before "
                              "it stays failed.")
    retry_base_seconds: float = Field(30.0, gt=0, le=86400, description="Wait before the "
                                      "second attempt; doubled for each further one.")
    retry_max_seconds: float = Field(3600.0, gt=0, le=604800, description="Longest wait "
                                     "between two attempts.")
    send_concurrency: int = Field(8, ge=1, le=256, description="Deliveries sent at once.")
    send_lease_seconds: float = Field(120.0, gt=0, le=86400, description="How long a claimed "
                                      "delivery is left to its sender before another may "
                                      "take it (a sender that crashed).")

    @field_validator("expiry_notice_days")
    @classmethod
    def _known_expiry_days(cls, days: list[int]) -> list[int]:
        unknown = sorted(set(days) - set(EXPIRY_RULES))
        if unknown:
            raise ValueError(f"each must be one of {sorted(EXPIRY_RULES)}, not {unknown}")
        return days

    @model_validator(mode="after")
    def _escalation_after_warning(self) -> NotificationsSettings:
        if self.sleeping_escalation_days <= self.sleeping_after_days:
            raise ValueError("KERJASAMA_SLEEPING_ESCALATION_DAYS must be more than "
                             "KERJASAMA_SLEEPING_AFTER_DAYS")
        return self

    @model_validator(mode="after")
    def _relaxations_only_in_development(self) -> NotificationsSettings:
        for name in ("webhook_allow_http", "webhook_allow_private_addresses"):
            if getattr(self, name) and not self.development:
                raise ValueError(f"{env_name(type(self), name)} is allowed only when "
                                 "development is declared (KERJASAMA_ENVIRONMENT=development)")
        return self

    @model_validator(mode="after")
    def _whatsapp_provider_complete(self) -> NotificationsSettings:
        missing = whatsapp_missing(self)
        if missing:
            raise ValueError(f"KERJASAMA_WHATSAPP_PROVIDER={self.whatsapp_provider} needs "
                             + "; ".join(missing))
        return self

    def whatsapp_rules(self) -> AddressRules:
        """Where the WhatsApp provider may be: https and public addresses; in development
        also plain http and local addresses (the same checks as webhooks')."""
        return AddressRules(allow_http=self.development, allow_private=self.development)

    def address_rules(self) -> AddressRules:
        """Where webhooks may point (docs/domain.md#boundaries)."""
        return AddressRules(allow_http=self.webhook_allow_http,
                            allow_private=self.webhook_allow_private_addresses)

    def policy(self) -> Policy:
        """The day counts of the rules."""
        return Policy(plan_due_days=self.plan_due_days,
                      milestone_notice_days=self.milestone_notice_days,
                      sleeping_after_days=self.sleeping_after_days,
                      escalation_after_days=self.sleeping_escalation_days,
                      expiry_notice_days=tuple(self.expiry_notice_days),
                      evaluation_notice_days=self.evaluation_notice_days,
                      notice_late_days=self.notice_late_days)
