"""consent-auditor: finds consent dark patterns on web pages in a real Chromium.

The public API (``auditor.api``)::

    from auditor import Options, audit
    run = audit(["https://shop.example/signup"], options=Options(fail_on="medium"))
"""

__version__ = "0.1.0"
TOOL_NAME = "consent-auditor"
__all__ = ("Auditor", "Hooks", "Options", "Override", "Target", "audit", "audit_async", "exit_code", "failing",
           "__version__")


def __getattr__(name: str):
    # the API is imported when first named, so that `auditor --help` and the checks stay quick to load
    if name in __all__ and name != "__version__":
        from auditor import api
        return getattr(api, name)
    raise AttributeError(f"module 'auditor' has no attribute {name!r}")
