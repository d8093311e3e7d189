"""Errors raised by the ipledger SDK."""


class IpledgerError(Exception):
    """Base class of every error the SDK raises."""


class FormatError(IpledgerError):
    """Input that is not well-formed (a key file, a note, a proof, a certificate)."""


class VerificationError(IpledgerError):
    """Well-formed input that does not verify: a bad signature, proof or claim."""


class ProblemError(IpledgerError):
    """The server refused a request with an RFC 9457 problem details answer.

    `status` is the HTTP status, `codes` the ipledger codes (for example
    ["E_ALREADY_PLEDGED"]), `problem` the whole decoded body (a dict, possibly empty).
    """

    def __init__(self, status, problem):
        self.status = status
        self.problem = problem if isinstance(problem, dict) else {}
        self.codes = list(self.problem.get("codes", []))
        detail = self.problem.get("detail") or self.problem.get("title") or ""
        super().__init__(f"HTTP {status} {','.join(self.codes)}: {detail}".strip())
