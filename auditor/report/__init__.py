"""Report formats. Each reads the same AuditRun; none touches the browser."""
