"""Prompt templates (Jinja2). Installed inside the package as `pipelines.prompts`."""
