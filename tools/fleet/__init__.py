"""A generated fleet of tenants, and headless Chromium rendering its report."""
