"""What a person does in the browser, written once for every browser test."""

from __future__ import annotations

from playwright.sync_api import Page


def login(page: Page, username: str, password: str) -> None:
    """Submit the login form as a person would; the caller checks where it landed."""
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def switch_language(page: Page, code: str) -> None:
    """Choose a language in the top bar; its onchange posts to /i18n/setlang/ and reloads."""
    with page.expect_navigation():
        page.select_option("select[name=language]", code)
