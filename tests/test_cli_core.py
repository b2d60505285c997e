import json

from click.testing import CliRunner

from unspin.cli import main


def run(args, input=None):
    return CliRunner().invoke(main, args, input=input, catch_exceptions=False)


def test_check_json_contract(tmp_path, spun_text):
    f = tmp_path / "a.txt"
    f.write_text(spun_text, encoding="utf-8")
    r = run(["check", "--json", str(f)])
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    for s in d["spans"]:
        assert spun_text[s["start"] : s["end"]] == s["text"]
    assert "id" not in d


def test_check_reads_stdin_and_prints_a_human_report(spun_text):
    r = run(["check", "-"], input=spun_text)
    assert r.exit_code == 0
    assert "score" in r.stdout and "stated" in r.stdout


def test_restore_prints_the_restored_text(spun_text):
    r = run(["restore", "-"], input=spun_text)
    assert r.exit_code == 0
    assert "said" in r.stdout and '"We will not change the law,"' in r.stdout


def test_jsonl_reports_bad_lines_with_numbers_and_keeps_the_rest(tmp_path, spun_text):
    f = tmp_path / "docs.jsonl"
    f.write_bytes(
        (json.dumps({"id": "a", "text": spun_text}) + "\n").encode()
        + b"{not json\n"
        + (json.dumps({"id": 7, "text": "A plain sentence about the weather."}) + "\n").encode()
        + b'{"id": "x"}\n'
        + b"\xff\xfe\n"
    )
    r = CliRunner().invoke(main, ["check", "--jsonl", str(f)])
    assert r.exit_code == 3
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    assert [l["id"] for l in lines] == ["a", 7]
    assert ":2:" in r.stderr and ":4:" in r.stderr and ":5:" in r.stderr


def test_binary_and_non_utf8_files_get_a_clear_error(tmp_path):
    b = tmp_path / "img.bin"
    b.write_bytes(b"\x89PNG\x00\x00\x01")
    r = CliRunner().invoke(main, ["check", str(b)])
    assert r.exit_code == 1 and "img.bin" in r.stderr and "binary" in r.stderr
    latin = tmp_path / "latin.txt"
    latin.write_bytes("The café stated it was open.".encode("latin-1"))
    r = CliRunner().invoke(main, ["check", str(latin)])
    assert r.exit_code == 1 and "latin.txt" in r.stderr and "UTF-8" in r.stderr
    r = CliRunner().invoke(main, ["check", "--encoding-errors", "replace", "--json", str(latin)])
    assert r.exit_code == 0 and "\ufffd" in json.loads(r.stdout)["restored"]


def test_missing_file_is_a_clear_error():
    r = CliRunner().invoke(main, ["check", "/nonexistent/x.txt"])
    assert r.exit_code == 1 and "/nonexistent/x.txt" in r.stderr


def test_check_with_an_index_restores_by_alignment(tmp_path):
    orig = ("The minister said on Thursday that the government would change the law in the next few days, "
            "according to a statement issued after the meeting in the capital on Monday evening.")
    spun = ("The minister stated on Thursday that the authorities would alternate the legislation within the subsequent "
            "few days, consistent with a press release issued after the assembly in the capital on Monday evening.")
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"id": "src", "text": orig}) + "\n" + json.dumps(
        {"id": "other", "text": "Shares of the company rose sharply in early trading after strong results."}) + "\n")
    idx = tmp_path / "archive.db"
    assert run(["index", "add", str(idx), str(docs)]).exit_code == 0
    r = run(["check", "--json", "--index", str(idx), "-"], input=spun)
    d = json.loads(r.stdout)
    assert d["details"]["source"]["id"] == "src"
    assert d["spun"] and d["score"] > 0.9
    assert "said" in d["restored"] and "according to" in d["restored"]
    r = run(["restore", "--index", str(idx), "-"], input=orig)
    assert r.stdout.strip() == orig


def test_missing_index_is_a_clear_error_and_creates_nothing(tmp_path):
    missing = tmp_path / "none.db"
    r = CliRunner().invoke(main, ["check", "--index", str(missing), "-"], input="text")
    assert r.exit_code != 0 and not missing.exists()
