"""End-to-end tests of the web application (Playwright + Debian Chromium)."""
