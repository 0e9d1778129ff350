from pathlib import Path

from cityreport.config import SETTINGS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_readme_lists_every_setting():
    missing = [s.name for s in SETTINGS if f"| `{s.name}` |" not in README]
    assert missing == []


def test_readme_shows_the_two_commands():
    assert "make run" in README and "make test" in README
