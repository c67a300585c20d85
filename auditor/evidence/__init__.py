"""Evidence files: full-page screenshots and, per finding, a crop with the element outlined."""
