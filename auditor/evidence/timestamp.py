"""RFC 3161 trusted timestamps for evidence packs: ask a timestamp authority (TSA) the user names to sign the
SHA-256 of some bytes with its time, read the reply back, and verify it.

What is stored is the whole DER ``TimeStampResp`` the TSA sent (status and token), the format
``openssl ts -reply -in FILE`` and ``openssl ts -verify -in FILE`` read; ``request`` returns it and ``inspect``
and ``verify`` take it.

The protocol objects come from ``rfc3161-client`` (request builder, reply parser, and the verifier that checks the
CMS signature, the chain to given roots at the stamp's time, the critical ``timeStamping`` extended key usage and the
message imprint). Around it, with ``cryptography`` and a small DER reader:

* the reply's certificate SET is put in DER order before parsing: ``openssl ts -reply`` with a ``certs`` chain
  sends the signer first and the chain after, which the library's strict DER parser refuses (InvalidSetOrdering);
  the order carries no meaning (a SET, outside the signed bytes) and the stored reply stays as received;
* without a CA the library has nothing to verify against (it needs a root), so the token's CMS signature is checked
  here with the TSA certificate it carries: content type, message digest of the TSTInfo, the ESS signing-certificate
  hash naming that certificate, and the signature over the signed attributes. That check runs with a CA too, before
  the library's, so a broken signature and a certificate from elsewhere give different messages;
* a refusal's PKIFailureInfo bits (badAlg, ...), which the library does not expose, are named in the error.

Every failure is a ``TimestampError`` whose message is one line saying what went wrong and where (URL or file).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import ipaddress
import socket
import urllib.error
import urllib.parse
import urllib.request

from auditor.errors import AuditorError

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_REPLY = 1 << 20  # bytes: a reply is a few KiB; anything this big is not one

_SHA256 = "2.16.840.1.101.3.4.2.1"
_DIGESTS = {  # OID -> hashlib name
    "1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.4": "sha224", _SHA256: "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512",
}
_RSA_WITH = {  # sha*WithRSAEncryption -> digest
    "1.2.840.113549.1.1.5": "sha1", "1.2.840.113549.1.1.14": "sha224", "1.2.840.113549.1.1.11": "sha256",
    "1.2.840.113549.1.1.12": "sha384", "1.2.840.113549.1.1.13": "sha512",
}
_ECDSA_WITH = {
    "1.2.840.10045.4.1": "sha1", "1.2.840.10045.4.3.1": "sha224", "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384", "1.2.840.10045.4.3.4": "sha512",
}
_RSA, _RSA_PSS, _EC_PUBLIC, _ED25519, _ED448 = ("1.2.840.113549.1.1.1", "1.2.840.113549.1.1.10",
                                                  "1.2.840.10045.2.1", "1.3.101.112", "1.3.101.113")
_MGF1 = "1.2.840.113549.1.1.8"
_SIGNED_DATA = "1.2.840.113549.1.7.2"
_TSTINFO = "1.2.840.113549.1.9.16.1.4"
_ATTR_CONTENT_TYPE, _ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4"
_ATTR_SIGNING_CERT, _ATTR_SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.12", "1.2.840.113549.1.9.16.2.47"
_STATUS = {0: "granted", 1: "granted with modifications", 2: "rejection", 3: "waiting",
           4: "revocation warning", 5: "revocation notification"}
_FAILURES = {0: "badAlg", 2: "badRequest", 5: "badDataFormat", 14: "timeNotAvailable", 15: "unacceptedPolicy",
             16: "unacceptedExtension", 17: "addInfoNotAvailable", 25: "systemFailure"}


class TimestampError(AuditorError):
    """A timestamp could not be had or does not hold; the message is one line naming the URL or file."""

    def __init__(self, message: str):
        super().__init__(_one_line(message))


@dataclasses.dataclass(frozen=True)
class Stamp:
    time: str  # genTime, UTC ISO 8601 with Z (fractions only when the TSA gives them)
    tsa: str  # the signing TSA certificate's subject, RFC 4514 ("" when the token carries no certificate)
    serial: int  # the TSA's serial number for this token
    policy: str  # the TSA policy OID
    hash_algorithm: str  # of the message imprint: "sha256", ...
    trusted: bool  # verified against a CA the caller gave (chain, critical timeStamping EKU, signature)


# --- requesting ------------------------------------------------------------------------------------------------

def request(url: str, data: bytes, timeout: float = 30.0) -> bytes:
    """Timestamp SHA-256(``data``) at the TSA ``url``: POST a TimeStampReq (random nonce, certReq), check the reply
    is granted, carries our nonce, our imprint and a signature that verifies with its TSA certificate, and return
    the DER ``TimeStampResp`` as received (store it; ``verify`` decides trust)."""
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    where = _url_for_messages(url)
    parsed = _check_url(url, where)
    if not data:
        raise TimestampError(f"{where}: nothing to timestamp (no data)")
    tsq = (TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256)
           .nonce(nonce=True).cert_request(cert_request=True).build())
    body = _post(url, parsed, tsq.as_bytes(), timeout, where)
    resp = _parse(body, where)
    info = resp.tst_info
    if tsq.nonce is not None and info.nonce != tsq.nonce:
        raise TimestampError(f"{where}: the reply's nonce is not the one we sent (a replayed or mixed-up reply)")
    imprint = info.message_imprint
    if imprint.hash_algorithm.dotted_string != _SHA256 or imprint.message != hashlib.sha256(data).digest():
        raise TimestampError(f"{where}: the TSA timestamped other data than we sent (message imprint differs)")
    if not resp.signed_data.certificates:
        raise TimestampError(f"{where}: the reply carries no TSA certificate although the request asked for it")
    _check_signature(resp, _signer_certificate(resp, where, required=True), where)  # a token we could not verify
    return body


def _url_for_messages(url: str) -> str:
    """The URL without any user:password part."""
    try:
        p = urllib.parse.urlsplit(str(url))
        if p.username is not None:
            host = p.hostname or ""
            host = f"[{host}]" if ":" in host else host
            if p.port:
                host += f":{p.port}"
            return urllib.parse.urlunsplit((p.scheme, host, p.path, p.query, ""))
    except ValueError:
        pass
    return str(url)


def _check_url(url: str, where: str) -> urllib.parse.SplitResult:
    try:
        parsed = urllib.parse.urlsplit(url)
        parsed.port  # noqa: B018 - raises on a bad port
    except (ValueError, TypeError) as exc:
        raise TimestampError(f"{where}: not a valid TSA URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise TimestampError(f"{where}: not a valid TSA URL (expected http://HOST/... or https://HOST/...)")
    return parsed


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _post(url: str, parsed: urllib.parse.SplitResult, query: bytes, timeout: float, where: str) -> bytes:
    headers = {"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE, "User-Agent": "consent-auditor (RFC 3161 client)"}
    if parsed.username is not None:  # https://USER:PASSWORD@tsa.example/ -> HTTP Basic, off the request line
        import base64
        pair = f"{urllib.parse.unquote(parsed.username)}:{urllib.parse.unquote(parsed.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        url = _url_for_messages(url)
    req = urllib.request.Request(url, data=query, method="POST", headers=headers)
    # a TSA on this machine is never reached through a proxy from the environment
    handlers = [urllib.request.ProxyHandler({})] if _is_loopback(parsed.hostname or "") else []
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(req, timeout=timeout) as reply:
            ctype = reply.headers.get_content_type()
            body = reply.read(MAX_REPLY + 1)
    except urllib.error.HTTPError as exc:
        detail = ""
        try:
            text = exc.read(300).decode("utf-8", "replace").strip()
            detail = f": {text.splitlines()[0][:160]}" if text and exc.headers.get_content_maintype() == "text" \
                else ""
        except Exception:  # noqa: BLE001 - the status alone is enough
            pass
        raise TimestampError(f"{where}: the TSA answered HTTP {exc.code} {exc.reason}{detail}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise TimestampError(f"{where}: the TSA did not answer within {timeout:g} s") from None
        if isinstance(reason, ConnectionRefusedError):
            raise TimestampError(f"{where}: cannot reach the TSA (connection refused)") from None
        if isinstance(reason, socket.gaierror):
            raise TimestampError(f"{where}: cannot reach the TSA (unknown host {parsed.hostname})") from None
        text = getattr(reason, "strerror", None) or str(reason)
        raise TimestampError(f"{where}: cannot reach the TSA ({text})") from None
    except (TimeoutError, socket.timeout):
        raise TimestampError(f"{where}: the TSA did not answer within {timeout:g} s") from None
    except (OSError, ValueError) as exc:  # reset connections, bad status lines, ...
        raise TimestampError(f"{where}: cannot talk to the TSA ({getattr(exc, 'strerror', None) or exc})") from None
    if len(body) > MAX_REPLY:
        raise TimestampError(f"{where}: the TSA's reply is over {MAX_REPLY} bytes, not a timestamp reply")
    if ctype not in (REPLY_TYPE, "application/timestamp-response") and body[:1] != b"\x30":  # DER SEQUENCE
        raise TimestampError(f"{where}: the TSA answered {ctype}, not {REPLY_TYPE}")
    return body


# --- reading and verifying -------------------------------------------------------------------------------------

def inspect(reply: bytes, *, source: str | None = None) -> Stamp:
    """What a stored reply says (time, TSA, serial, policy, imprint hash), with no trust decision
    (``trusted=False``). A refusal or unreadable bytes are a ``TimestampError`` naming ``source``."""
    where = source or "timestamp reply"
    resp = _parse(reply, where)
    return _stamp(resp, _signer_certificate(resp, where, required=False), trusted=False, where=where)


def verify(reply: bytes, data: bytes, ca_pem: bytes | None = None, *, source: str | None = None) -> Stamp:
    """Check that ``reply`` timestamps exactly ``data`` (SHA-256) and that its signature verifies with the TSA
    certificate it carries. With ``ca_pem`` (one or more PEM certificates) the TSA certificate must also chain to
    one of them at the stamp's time and carry the critical timeStamping EKU: then ``trusted`` is True.
    Any failure is a ``TimestampError`` naming ``source`` (a file name, say)."""
    where = source or "timestamp reply"
    resp = _parse(reply, where)
    imprint = resp.tst_info.message_imprint
    algorithm = _DIGESTS.get(imprint.hash_algorithm.dotted_string)
    if algorithm is None:
        raise TimestampError(f"{where}: unsupported message imprint hash {imprint.hash_algorithm.dotted_string}")
    if imprint.message != hashlib.new(algorithm, data).digest():
        raise TimestampError(f"{where}: the timestamp is for other data (its message imprint is not the "
                             f"{algorithm.upper()} of these bytes)")
    signer = _signer_certificate(resp, where, required=True)
    _check_signature(resp, signer, where)
    if ca_pem is not None:
        _check_trust(resp, signer, ca_pem, imprint.message, where)
    return _stamp(resp, signer, trusted=ca_pem is not None, where=where)


def _parse(reply: bytes, where: str):
    """The library's TimeStampResp for ``reply``, granted and with a token, else a TimestampError."""
    from rfc3161_client import decode_timestamp_response

    if not isinstance(reply, (bytes, bytearray, memoryview)) or not reply:
        raise TimestampError(f"{where}: empty, not a timestamp reply")
    reply = bytes(reply)
    try:
        status, texts, failures = _status(reply)
    except _DerError as exc:
        raise TimestampError(f"{where}: not a timestamp reply ({exc})") from None
    if status != 0:
        what = _STATUS.get(status, f"status {status}")
        what = "granted only with modifications (not accepted)" if status == 1 else what
        extra = "; ".join(filter(None, [", ".join(failures), "; ".join(texts)]))
        raise TimestampError(f"{where}: the TSA did not grant the timestamp: {what}" + (f" ({extra})" if extra else ""))
    try:
        resp = decode_timestamp_response(_der_sorted_certificates(reply))
        resp.tst_info.gen_time  # noqa: B018 - touch the token: a reply without one fails here, not later
        resp.signed_data.certificates  # noqa: B018
    except _DerError as exc:
        raise TimestampError(f"{where}: not a valid timestamp token ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - the library raises ValueError (and panics) on bad input
        raise TimestampError(f"{where}: not a valid timestamp token ({_short(exc)})") from None
    except BaseException as exc:  # a pyo3 PanicException is a BaseException; let real exits through
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        raise TimestampError(f"{where}: not a valid timestamp token ({_short(exc)})") from None
    return resp


def _stamp(resp, signer, *, trusted: bool, where: str) -> Stamp:
    info = resp.tst_info
    gen = info.gen_time
    gen = gen.replace(tzinfo=_dt.timezone.utc) if gen.tzinfo is None else gen.astimezone(_dt.timezone.utc)
    text = gen.isoformat(timespec="microseconds" if gen.microsecond else "seconds").replace("+00:00", "Z")
    tsa = signer.subject.rfc4514_string() if signer is not None else _tsa_name(info)
    policy = info.policy
    hash_oid = info.message_imprint.hash_algorithm.dotted_string
    return Stamp(time=text, tsa=tsa, serial=int(info.serial_number), policy=policy.dotted_string if policy else "",
                 hash_algorithm=_DIGESTS.get(hash_oid, hash_oid), trusted=trusted)


def _tsa_name(info) -> str:
    """The TSTInfo's tsa field when it is a directory name, else ""."""
    from cryptography import x509
    try:
        name = info.name
    except Exception:  # noqa: BLE001 - the field is optional
        return ""
    return name.value.rfc4514_string() if isinstance(name, x509.DirectoryName) else ""


def _signer_certificate(resp, where: str, *, required: bool):
    """The certificate the SignerInfo names (issuer and serial number), from the token's certificates."""
    from cryptography import x509
    try:
        infos = list(resp.signed_data.signer_infos)
        certs = [x509.load_der_x509_certificate(c) for c in resp.signed_data.certificates]
        if len(infos) != 1:
            raise TimestampError(f"{where}: the token has {len(infos)} signers, a timestamp has one")
        info = infos[0]
        for cert in certs:
            # names are parsed when first used: a damaged one fails here, inside the try
            if cert.serial_number == info.serial_number and cert.issuer == info.issuer:
                cert.subject.rfc4514_string()  # noqa: B018
                return cert
    except TimestampError:
        raise
    except Exception as exc:  # noqa: BLE001 - ValueError, KeyError (an unknown string type), ...
        raise TimestampError(f"{where}: not a valid timestamp token ({_short(exc)})") from None
    if required:
        why = "carries no certificate" if not certs else "does not carry the certificate that signed it"
        raise TimestampError(f"{where}: the token {why}, so its signature cannot be checked")
    return None


def _check_signature(resp, signer, where: str) -> None:
    """The token's CMS SignedData: a TSTInfo, signed attributes with its digest and naming ``signer`` (ESS), and a
    signature over them that verifies with ``signer``'s public key."""
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    try:
        sd = _signed_data(resp.time_stamp_token())
        econtent_type, econtent = sd["econtent_type"], sd["econtent"]
        si = sd["signer_info"]
    except (ValueError, IndexError, KeyError) as exc:  # _DerError is a ValueError
        raise TimestampError(f"{where}: not a valid timestamp token ({_short(exc)})") from None
    if econtent_type != _TSTINFO:
        raise TimestampError(f"{where}: the token signs {econtent_type}, not a TSTInfo")
    digest = _DIGESTS.get(si["digest_oid"])
    if digest is None:
        raise TimestampError(f"{where}: the token's digest algorithm {si['digest_oid']} is not supported")
    attrs = si["signed_attrs"]
    if attrs is None:
        raise TimestampError(f"{where}: the token has no signed attributes (RFC 3161 needs them)")
    if attrs.get(_ATTR_CONTENT_TYPE) != _TSTINFO:
        raise TimestampError(f"{where}: the signed content-type attribute is not TSTInfo")
    if attrs.get(_ATTR_MESSAGE_DIGEST) != hashlib.new(digest, econtent).digest():
        raise TimestampError(f"{where}: the signature does not cover this TSTInfo (message digest differs; "
                             "the reply was altered)")
    from cryptography.hazmat.primitives.serialization import Encoding
    der = signer.public_bytes(Encoding.DER)
    ess = attrs.get(_ATTR_SIGNING_CERT_V2) or attrs.get(_ATTR_SIGNING_CERT)
    if ess is None:
        raise TimestampError(f"{where}: the token does not name its signing certificate (no ESS attribute)")
    ess_alg, ess_hash = ess
    if ess_alg not in _DIGESTS or hashlib.new(_DIGESTS[ess_alg], der).digest() != ess_hash:
        raise TimestampError(f"{where}: the token names another signing certificate than the one it carries")
    try:
        _verify_raw(signer.public_key(), si["sig_oid"], si["sig_params"], digest, si["signature"],
                    si["signed_attrs_der"])
    except InvalidSignature:
        raise TimestampError(f"{where}: the token's signature does not verify with its TSA certificate "
                             "(the reply was altered)") from None
    except (UnsupportedAlgorithm, ValueError, TypeError, IndexError, KeyError) as exc:
        raise TimestampError(f"{where}: cannot check the token's signature ({_short(exc)})") from None


def _verify_raw(key, sig_oid: str, sig_params: bytes | None, digest: str, signature: bytes, signed: bytes) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

    def h(name: str):
        return getattr(hashes, name.upper())()

    if isinstance(key, rsa.RSAPublicKey):
        if sig_oid == _RSA_PSS:
            hash_name, mgf_name = _pss_params(sig_params)
            key.verify(signature, signed, padding.PSS(mgf=padding.MGF1(h(mgf_name)), salt_length=padding.PSS.AUTO),
                       h(hash_name))
        elif sig_oid == _RSA or sig_oid in _RSA_WITH:
            key.verify(signature, signed, padding.PKCS1v15(), h(_RSA_WITH.get(sig_oid, digest)))
        else:
            raise ValueError(f"signature algorithm {sig_oid} with an RSA key")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if sig_oid not in _ECDSA_WITH and sig_oid != _EC_PUBLIC:
            raise ValueError(f"signature algorithm {sig_oid} with an EC key")
        key.verify(signature, signed, ec.ECDSA(h(_ECDSA_WITH.get(sig_oid, digest))))
    elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        key.verify(signature, signed)
    else:
        raise ValueError(f"unsupported TSA key type {type(key).__name__}")


def _pss_params(params: bytes | None) -> tuple[str, str]:
    """(hash, MGF1 hash) of RSASSA-PSS-params (the SEQUENCE's content); both default to SHA-1."""
    hash_name = mgf_name = "sha1"
    for tag, content, _ in _children(params or b""):
        if tag == 0xA0:  # hashAlgorithm [0] AlgorithmIdentifier
            hash_name = _DIGESTS.get(_alg_oid(_children(content)[0][1]), "?")
        elif tag == 0xA1:  # maskGenAlgorithm [1]: MGF1 with its own AlgorithmIdentifier
            mgf = _children(_children(content)[0][1])
            if len(mgf) != 2 or _oid(mgf[0][1]) != _MGF1:
                raise ValueError("RSASSA-PSS with a mask generation function other than MGF1")
            mgf_name = _DIGESTS.get(_alg_oid(mgf[1][1]), "?")
    if "?" in (hash_name, mgf_name):
        raise ValueError("RSASSA-PSS with an unsupported hash")
    return hash_name, mgf_name


def _check_trust(resp, signer, ca_pem: bytes, digest: bytes, where: str) -> None:
    """rfc3161-client's verifier with the CA's certificates as roots: the chain at the stamp's time (the token's
    other certificates only as untrusted intermediates), the critical timeStamping EKU, status and imprint."""
    from cryptography import x509
    from rfc3161_client import VerificationError, VerifierBuilder

    try:
        roots = x509.load_pem_x509_certificates(bytes(ca_pem))
    except (ValueError, TypeError) as exc:
        raise TimestampError(f"{where}: the CA file holds no readable PEM certificate ({_short(exc)})") from None
    builder = VerifierBuilder()
    for root in dict.fromkeys(roots):  # the builder refuses a certificate twice
        builder = builder.add_root_certificate(root)
    try:
        builder.build().verify(resp, digest)
    except VerificationError as exc:
        text = str(exc)
        if "EKU" in text or "KeyPurposeID" in text:
            raise TimestampError(f"{where}: the TSA certificate ({signer.subject.rfc4514_string()}) is not for "
                                 f"timestamping ({text.rstrip('.')})") from None
        if "certificates" in text.lower() or "pkcs7" in text.lower():
            raise TimestampError(f"{where}: the TSA certificate ({signer.subject.rfc4514_string()}) does not "
                                 f"chain to the given CA at the stamp's time ({_openssl_reason(text)})") from None
        raise TimestampError(f"{where}: the timestamp does not verify ({_short(exc)})") from None
    except Exception as exc:  # noqa: BLE001
        raise TimestampError(f"{where}: the timestamp does not verify ({_short(exc)})") from None


def _openssl_reason(text: str) -> str:
    """OpenSSL's reason from the library's ErrorStack text, e.g. 'unable to get local issuer certificate'."""
    import re
    reasons = re.findall(r'reason: (?:Some\()?"([^"]+)"', text)
    data = re.findall(r'data: (?:Some\()?"([^"]+)"', text)
    if data:
        return _short(data[0].removeprefix("Verify error: "))
    found = [r for r in reasons if r != "certificate verify error"] or reasons
    return _short(found[0] if found else text)


def _short(exc: BaseException | str) -> str:
    text = exc if isinstance(exc, str) else (str(exc) or type(exc).__name__)
    text = _one_line(text)
    return text if len(text) <= 200 else text[:197] + "..."


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# --- a small DER reader (only what the checks above need) -------------------------------------------------------

class _DerError(ValueError):
    pass


def _header(buf: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``pos``."""
    if pos + 2 > len(buf):
        raise _DerError("truncated DER")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise _DerError("high tag numbers are not used here")
    first = buf[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    elif first == 0x80 or first > 0x84:
        raise _DerError("not DER (indefinite or oversized length)")
    else:
        n = first & 0x7F
        if pos + n > len(buf):
            raise _DerError("truncated DER")
        length = int.from_bytes(buf[pos:pos + n], "big")
        pos += n
    if pos + length > len(buf):
        raise _DerError("truncated DER")
    return tag, pos, pos + length


def _children(content: bytes) -> list[tuple[int, bytes, tuple[int, int]]]:
    """The TLVs inside ``content``: (tag, their content, (start, end) of the whole TLV within ``content``)."""
    out, pos = [], 0
    while pos < len(content):
        tag, start, end = _header(content, pos)
        out.append((tag, content[start:end], (pos, end)))
        pos = end
    return out


def _single(buf: bytes, tag: int | None = None) -> bytes:
    t, start, end = _header(buf, 0)
    if end != len(buf) or (tag is not None and t != tag):
        raise _DerError("not a DER TimeStampResp" if tag == 0x30 else "unexpected DER structure")
    return buf[start:end]


def _oid(content: bytes) -> str:
    if not content:
        raise _DerError("empty OID")
    parts, value = [], 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    if content[-1] & 0x80:
        raise _DerError("truncated OID")
    first = parts[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(map(str, head + parts[1:]))


def _alg_oid(alg_content: bytes) -> str:
    """The OID of an AlgorithmIdentifier given its SEQUENCE content."""
    kids = _children(alg_content)
    if not kids or kids[0][0] != 0x06:
        raise _DerError("bad AlgorithmIdentifier")
    return _oid(kids[0][1])


def _status(reply: bytes) -> tuple[int, list[str], list[str]]:
    """(status, status strings, failure names) of a DER TimeStampResp."""
    top = _children(_single(reply, 0x30))
    if not top or top[0][0] != 0x30 or len(top) > 2:
        raise _DerError("not a DER TimeStampResp")
    info = _children(top[0][1])
    if not info or info[0][0] != 0x02:
        raise _DerError("no PKIStatus")
    status = int.from_bytes(info[0][1], "big", signed=True)
    texts, failures = [], []
    for tag, content, _ in info[1:]:
        if tag == 0x30:
            texts += [c.decode("utf-8", "replace") for t, c, _ in _children(content) if t == 0x0C]
        elif tag == 0x03 and content:
            bits = int.from_bytes(content[1:], "big")
            width = 8 * (len(content) - 1)
            failures += [name for bit, name in _FAILURES.items() if bit < width and bits >> (width - 1 - bit) & 1]
    if status in (0, 1) and len(top) != 2:
        raise _DerError("granted, but it holds no timestamp token")
    return status, texts, failures


def _signed_data_children(reply: bytes) -> tuple[int, list]:
    """(offset in ``reply`` of the SignedData's content, its children)."""
    _, start, end = _header(reply, 0)
    top = _children(reply[start:end])
    if len(top) != 2:
        raise _DerError("no timestamp token")
    ci_start = start + top[1][2][0]
    _, ci_content_start, ci_end = _header(reply, ci_start)
    ci = _children(reply[ci_content_start:ci_end])
    if len(ci) != 2 or ci[0][0] != 0x06 or _oid(ci[0][1]) != _SIGNED_DATA or ci[1][0] != 0xA0:
        raise _DerError("the token is not a CMS SignedData")
    explicit_start = ci_content_start + ci[1][2][0]
    _, sd_outer, _ = _header(reply, explicit_start)
    tag, sd_start, sd_end = _header(reply, sd_outer)
    if tag != 0x30:
        raise _DerError("the token is not a CMS SignedData")
    return sd_start, _children(reply[sd_start:sd_end])


def _der_sorted_certificates(reply: bytes) -> bytes:
    """``reply`` with the SignedData's certificates [0] SET in DER order (X.690 11.6); the same bytes when they
    already are, or when the reply is not a granted one with a token."""
    try:
        sd_start, kids = _signed_data_children(reply)
    except _DerError:
        return reply
    for tag, content, (start, end) in kids:
        if tag == 0xA0:  # certificates [0] IMPLICIT CertificateSet
            certs = [content[a:b] for _, _, (a, b) in _children(content)]
            ordered = sorted(certs)
            if ordered == certs:
                return reply
            body = b"".join(ordered)
            content_start = sd_start + end - len(content)
            return reply[:content_start] + body + reply[content_start + len(content):]
    return reply


def _signed_data(token: bytes) -> dict:
    """The parts of a timestamp token (a CMS ContentInfo with SignedData) that the signature check needs."""
    ci = _children(_single(token, 0x30))
    if len(ci) != 2 or ci[0][0] != 0x06 or _oid(ci[0][1]) != _SIGNED_DATA or ci[1][0] != 0xA0:
        raise _DerError("the token is not a CMS SignedData")
    sd = _children(ci[1][1])
    sd = _children(sd[0][1]) if len(sd) == 1 and sd[0][0] == 0x30 else None
    if not sd or len(sd) < 4 or sd[0][0] != 0x02 or sd[1][0] != 0x31 or sd[2][0] != 0x30 or sd[-1][0] != 0x31:
        raise _DerError("malformed SignedData")
    encap = _children(sd[2][1])
    if len(encap) != 2 or encap[0][0] != 0x06 or encap[1][0] != 0xA0:
        raise _DerError("the SignedData has no encapsulated content")
    inner = _children(encap[1][1])
    if len(inner) != 1 or inner[0][0] not in (0x04, 0x24):
        raise _DerError("the encapsulated content is not an OCTET STRING")
    econtent = inner[0][1] if inner[0][0] == 0x04 else b"".join(c for t, c, _ in _children(inner[0][1]) if t == 0x04)
    infos = _children(sd[-1][1])
    if len(infos) != 1:
        raise _DerError(f"{len(infos)} signers")
    return {"econtent_type": _oid(encap[0][1]), "econtent": econtent, "signer_info": _signer_info(infos[0][1])}


def _signer_info(content: bytes) -> dict:
    kids = _children(content)
    if len(kids) < 5 or kids[0][0] != 0x02 or kids[2][0] != 0x30:
        raise _DerError("malformed SignerInfo")
    rest = kids[3:]
    signed_attrs = signed_attrs_der = None
    if rest[0][0] == 0xA0:
        a, b = rest[0][2]
        signed_attrs_der = b"\x31" + content[a + 1:b]  # signed as the SET OF it is (RFC 5652, 5.4)
        signed_attrs = _attributes(rest[0][1])
        rest = rest[1:]
    if len(rest) < 2 or rest[0][0] != 0x30 or rest[1][0] != 0x04:
        raise _DerError("malformed SignerInfo")
    alg = _children(rest[0][1])
    params = alg[1][1] if len(alg) > 1 and alg[1][0] == 0x30 else None  # RSASSA-PSS-params; NULL or none otherwise
    return {"digest_oid": _alg_oid(kids[2][1]), "signed_attrs": signed_attrs, "signed_attrs_der": signed_attrs_der,
            "sig_oid": _alg_oid(rest[0][1]), "sig_params": params, "signature": rest[1][1]}


def _attributes(content: bytes) -> dict:
    """contentType -> OID, messageDigest -> bytes, ESS signing certificate (v1/v2) -> (hash OID, first cert hash)."""
    out: dict = {}
    for tag, attr, _ in _children(content):
        parts = _children(attr)
        if tag != 0x30 or len(parts) != 2 or parts[0][0] != 0x06 or parts[1][0] != 0x31:
            raise _DerError("malformed attribute")
        oid, values = _oid(parts[0][1]), _children(parts[1][1])
        if oid in out or len(values) != 1:
            raise _DerError(f"attribute {oid} repeated or not single-valued")
        vtag, value, _ = values[0]
        if oid == _ATTR_CONTENT_TYPE and vtag == 0x06:
            out[oid] = _oid(value)
        elif oid == _ATTR_MESSAGE_DIGEST and vtag == 0x04:
            out[oid] = value
        elif oid in (_ATTR_SIGNING_CERT, _ATTR_SIGNING_CERT_V2) and vtag == 0x30:
            cert_ids = _children(value)
            if not cert_ids or cert_ids[0][0] != 0x30 or not _children(cert_ids[0][1]):
                raise _DerError("empty ESS signing-certificate attribute")
            first = _children(_children(cert_ids[0][1])[0][1])  # the first ESSCertID(v2): the signer's
            algorithm = "1.3.14.3.2.26" if oid == _ATTR_SIGNING_CERT else _SHA256  # v2: DEFAULT sha256
            if oid == _ATTR_SIGNING_CERT_V2 and first and first[0][0] == 0x30:  # hashAlgorithm present
                algorithm, first = _alg_oid(first[0][1]), first[1:]
            if not first or first[0][0] != 0x04:
                raise _DerError("malformed ESS certificate ID")
            out[oid] = (algorithm, first[0][1])
    return out
