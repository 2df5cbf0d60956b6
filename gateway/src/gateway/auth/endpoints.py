"""POST /oauth/token (client credentials) and GET /.well-known/jwks.json."""

import base64
import binascii
from urllib.parse import parse_qs, unquote_plus

from fastapi import APIRouter, Request, Response

from gateway.audit import acts
from gateway.auth import service
from gateway.auth.rules import require_client_credentials
from gateway.auth.schemas import TOKEN_REQUEST_BODY, JwksRead, TokenRead
from gateway.limits.token_throttle import TokenThrottle
from junheng_kit.db import SessionDep
from junheng_kit.i18n import t
from junheng_kit.problems import (
    BadRequest,
    FieldError,
    TooManyRequests,
    UnsupportedMediaType,
    problem_responses,
)

router = APIRouter(tags=["auth"])

FORM = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 8192


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise service.InvalidClient(
            t("HTTP Basic 凭据格式错误", "malformed HTTP Basic credentials"),
            FieldError("authorization", "invalid_client"),
            headers={"WWW-Authenticate": 'Basic realm="junheng"'},
        ) from exc
    client_id, _, secret = decoded.partition(":")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before base64
    return unquote_plus(client_id), unquote_plus(secret)


async def _form(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        raise UnsupportedMediaType(
            t(f"令牌请求请以 {FORM} 发送", f"send the token request as {FORM}"),
            FieldError("content-type", "form_urlencoded_required"),
        )
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise BadRequest(t("令牌请求过大", "token request too large"))
    try:
        parsed = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise BadRequest(t("令牌请求不是 UTF-8 编码", "token request is not UTF-8")) from exc
    return {key: values[0] for key, values in parsed.items()}


@router.post(
    "/oauth/token",
    summary="Issue an access token (OAuth2 client credentials)",
    openapi_extra={"requestBody": TOKEN_REQUEST_BODY},
    responses=problem_responses(
        service.InvalidClient, BadRequest, UnsupportedMediaType, TooManyRequests
    ),
)
async def token(request: Request, session: SessionDep, response: Response) -> TokenRead:
    """Client credentials grant: `client_id`/`client_secret` in the form body or HTTP Basic.

    Throttled before the secret is checked: failed attempts per client id and attempts per
    source address, for every gateway replica together (429 with Retry-After)."""
    form = await _form(request)
    require_client_credentials(form.get("grant_type"))
    credentials = _basic_credentials(request) or (
        form.get("client_id", ""),
        form.get("client_secret", ""),
    )
    throttle: TokenThrottle = request.app.state.token_throttle
    address = throttle.source_address(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
    )
    audit = acts.token_trail(request.scope, credentials[0])  # written with the answer
    audit.touched(ids=(form.get("scope") or "").split())
    try:
        async with throttle.attempt(client_id=credentials[0], address=address) as limit_fields:
            client = await service.authenticate(
                session, client_id=credentials[0], secret=credentials[1]
            )
    except service.InvalidClient:  # a registered client's failure: its county's auditors see it
        audit.county_code = await acts.county_of_client(session, credentials[0])
        raise
    audit.county_code = acts.county_of(client.jurisdiction)
    response.headers.update(limit_fields)
    settings = request.app.state.settings
    issued = service.issue_token(
        client,
        request.app.state.signer,
        requested_scope=form.get("scope"),
        ttl_seconds=settings.token_ttl_seconds,
    )
    audit.record_ids = list(issued.scopes)  # the scopes granted
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return TokenRead(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        scope=" ".join(issued.scopes),
    )


@router.get(
    "/.well-known/jwks.json",
    summary="Public keys that verify the gateway's tokens",
    response_model_exclude_none=True,  # `y` only on SM2 keys
)
async def jwks(request: Request, response: Response) -> JwksRead:
    response.headers["Cache-Control"] = "public, max-age=300"
    return JwksRead.model_validate(request.app.state.jwks)
