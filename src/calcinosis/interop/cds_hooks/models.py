"""The CDS Hooks 2.0 messages: the request of the ``patient-view`` hook, the discovery document,
and the response (cards, suggestions, links), with the rules of the specification as validators.

Every optional attribute without a value is omitted from the JSON (the specification forbids
``null`` and empty values), which :meth:`HookResponse.to_json` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from calcinosis.errors import CalcinosisError
from calcinosis.i18n import french_typography
from calcinosis.interop.cds_hooks.texts import t
from calcinosis.issues import Issue
from calcinosis.kb.codes import SYSTEMS, CodeTable
from calcinosis.textsafe import plain

__all__ = [
    "HOOK",
    "SERVICE_ID",
    "SUMMARY_LIMIT",
    "Action",
    "Card",
    "CdsHooksError",
    "Coding",
    "HookRequest",
    "HookResponse",
    "Link",
    "ServiceDefinition",
    "ServiceList",
    "Source",
    "Suggestion",
    "parse_request",
    "service_definition",
]

HOOK = "patient-view"
SERVICE_ID = "calcinosis-patient-view"
SUMMARY_LIMIT = 140  # the specification: "fewer than 140 characters"
_FHIR_ID = r"^[A-Za-z0-9\-.]{1,64}$"
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class CdsHooksError(CalcinosisError):
    """A hook request this service cannot answer: ``status`` 400 (malformed), 412 (a required
    prefetch is missing) or 503 (a part of the installation is missing); ``issues`` say where."""

    def __init__(self, message: str, *, status: int, issues: Sequence[Issue] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.issues = list(issues)


# ---- the request --------------------------------------------------------------------------------


class FhirAuthorization(BaseModel):
    """The OAuth 2.0 token the EHR lends for fetching (this deployment never uses it)."""

    model_config = ConfigDict(extra="ignore")

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


class PatientViewContext(BaseModel):
    """``patient-view`` context: the patient whose record is open (and the encounter, if any)."""

    model_config = ConfigDict(extra="ignore")

    userId: str | None = Field(default=None, max_length=200)
    patientId: str = Field(pattern=_FHIR_ID, description="FHIR id of the Patient whose record is open")
    encounterId: str | None = Field(default=None, pattern=_FHIR_ID)


class HookRequest(BaseModel):
    """A CDS Hooks 2.0 call of this service (unknown top-level keys, such as ``extension``, are ignored)."""

    model_config = ConfigDict(extra="ignore")

    hook: Literal["patient-view"]
    hookInstance: str = Field(pattern=_UUID, description="a UUID for this call of the hook")
    fhirServer: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=2000)
    fhirAuthorization: FhirAuthorization | None = None
    context: PatientViewContext
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _server_with_token(self) -> HookRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirAuthorization needs fhirServer (CDS Hooks 2.0: fhirServer is required with it)")
        return self


_PYDANTIC_WORDS = {
    "missing": ("required", "obligatoire"),
    "literal_error": ("expected {expected}", "attendu : {expected}"),
    "string_pattern_mismatch": ("does not have the expected form", "n'a pas la forme attendue"),
    "string_type": ("must be text", "doit être un texte"),
    "dict_type": ("must be a JSON object", "doit être un objet JSON"),
    "model_type": ("must be a JSON object", "doit être un objet JSON"),
    "int_type": ("must be an integer", "doit être un entier"),
    "int_parsing": ("must be an integer", "doit être un entier"),
}


def parse_request(data: Any, *, lang: str = "en") -> HookRequest:
    """The request, validated; raises CdsHooksError(400) with one located issue per problem."""
    if not isinstance(data, dict):
        raise CdsHooksError(t("err_body", lang), status=400)
    try:
        return HookRequest.model_validate(data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors()[:20]:
            words = _PYDANTIC_WORDS.get(err["type"])
            if words is not None:
                expected = str((err.get("ctx") or {}).get("expected", ""))
                text = french_typography(words[1]) if lang == "fr" else words[0]
                text = text.format(expected=expected)
            else:
                text = plain(err["msg"].removeprefix("Value error, "), limit=300)
            where = ".".join(str(p) for p in err["loc"])
            issues.append(Issue.error("cds.request", text, plain(where, limit=200, newlines=False)))
        raise CdsHooksError(t("err_request", lang), status=400, issues=issues) from None


# ---- the response -------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Coding(_Out):
    """A FHIR Coding (the card's topic)."""

    system: str | None = None
    code: str | None = None
    display: str | None = None


class ServiceDefinition(_Out):
    """One service in the discovery document."""

    hook: str
    title: str | None = None
    description: str
    id: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class ServiceList(_Out):
    """``GET /cds-services``."""

    services: list[ServiceDefinition]

    def to_json(self) -> dict[str, Any]:
        """The JSON the specification asks for: optional attributes without a value left out."""
        return self.model_dump(mode="json", exclude_none=True)


class Source(_Out):
    """Who gives the advice, and on what knowledge."""

    label: str = Field(min_length=1)
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Link(_Out):
    """A link the clinician may follow from the card."""

    label: str = Field(min_length=1)
    url: str = Field(min_length=1)
    type: Literal["absolute", "smart"]
    appContext: str | None = None


class Action(_Out):
    """A change the EHR would make if the clinician accepts the suggestion."""

    type: Literal["create", "update", "delete"]
    description: str = Field(min_length=1)
    resource: dict[str, Any] | None = None


class Suggestion(_Out):
    """A suggestion: one missing laboratory step and the draft orders that would answer it."""

    label: str = Field(min_length=1)
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = Field(default=None, min_length=1)


class Card(_Out):
    """One card (CDS Hooks 2.0)."""

    uuid: str | None = None
    summary: str = Field(min_length=1, max_length=SUMMARY_LIMIT - 1)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = Field(default=None, min_length=1)
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = Field(default=None, min_length=1)
    links: list[Link] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _selection(self) -> Card:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("a card with suggestions needs selectionBehavior")
        return self


class HookResponse(_Out):
    """The answer to a hook call: ``{"cards": []}`` is "no advice"."""

    cards: list[Card]

    def to_json(self) -> dict[str, Any]:
        """The JSON the specification asks for: optional attributes without a value left out."""
        return self.model_dump(mode="json", exclude_none=True)


def service_definition(codes: CodeTable, *, lang: str = "en") -> ServiceDefinition:
    """The discovery entry: the prefetch templates ask for the coded labs and antibodies only."""
    loinc: list[str] = []
    for table in (codes.labs, codes.antibodies):
        for entry in table.values():
            for code in entry.codes:
                if code.system == "loinc" and code.export and code.code not in loinc:
                    loinc.append(code.code)
    codes_param = ",".join(f"{SYSTEMS['loinc']}|{code}" for code in loinc)
    observations = "Observation?patient={{context.patientId}}" + (f"&code={codes_param}" if codes_param else "")
    return ServiceDefinition(
        hook=HOOK,
        id=SERVICE_ID,
        title=t("title", lang),
        description=t("description", lang),
        prefetch={
            "patient": "Patient/{{context.patientId}}",
            "conditions": "Condition?patient={{context.patientId}}",
            "observations": observations,
            "medications": "MedicationRequest?patient={{context.patientId}}",
        },
    )
