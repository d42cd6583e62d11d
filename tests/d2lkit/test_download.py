"""The checksummed downloader, against a server on 127.0.0.1: good, corrupted and cut-off files, no server."""
import io
import zipfile

import pytest

from d2lkit import data, download

GOOD = b"The kit's stand-in for a data file.\n" * 50


def test_a_good_file_is_downloaded_checked_and_cached(server, monkeypatch, cache):
    filename = server.publish(monkeypatch, "time_machine", GOOD)
    path = download.download("time_machine")
    assert path == cache / filename and path.read_bytes() == GOOD
    assert server.requests == [filename]
    assert download.download("time_machine") == path
    assert server.requests == [filename], "a cached file with the right checksum was downloaded again"
    assert sorted(p.name for p in cache.iterdir()) == [filename], "a temporary file was left in the cache"


def test_the_cache_folder_follows_D2LKIT_DATA(server, monkeypatch, tmp_path, capsys):
    elsewhere = tmp_path / "class-share"
    monkeypatch.setenv("D2LKIT_DATA", str(elsewhere))
    server.publish(monkeypatch, "time_machine", GOOD)
    assert download.download("time_machine").parent == elsewhere
    assert data.main(["where"]) == 0
    assert capsys.readouterr().out.strip() == str(elsewhere)


def test_a_corrupted_cached_copy_is_replaced(server, monkeypatch, cache):
    filename = server.publish(monkeypatch, "time_machine", GOOD)
    cache.mkdir()
    (cache / filename).write_bytes(b"half a file")
    assert download.download("time_machine").read_bytes() == GOOD
    assert server.requests == [filename]


def test_a_bad_checksum_is_an_error_and_nothing_is_cached(server, monkeypatch, cache):
    server.publish(monkeypatch, "time_machine", GOOD, sha1="0" * 40)
    with pytest.raises(download.ChecksumError, match="SHA-1 .* removed"):
        download.download("time_machine")
    assert list(cache.iterdir()) == []


def test_a_cut_off_download_is_an_error_and_leaves_no_file(server, monkeypatch, cache):
    filename = server.publish(monkeypatch, "time_machine", GOOD)
    server.truncated.add(filename)
    with pytest.raises(download.PartialDownloadError, match="partial file was removed"):
        download.download("time_machine")
    assert list(cache.iterdir()) == [], "a partial download was left in the cache"


def test_a_missing_file_is_a_download_error_not_offline(server):
    with pytest.raises(download.DownloadError, match="HTTP 404") as info:
        download.download("fra-eng")
    assert not isinstance(info.value, download.OfflineError)


def test_no_server_is_the_no_network_error(cache):
    with pytest.raises(download.OfflineError, match="no network"):
        download.download("time_machine")
    assert not cache.exists() or list(cache.iterdir()) == []


def test_offline_mode_makes_no_request(server, monkeypatch):
    server.publish(monkeypatch, "time_machine", GOOD)
    monkeypatch.setenv("D2LKIT_OFFLINE", "1")
    with pytest.raises(download.OfflineError, match="D2LKIT_OFFLINE"):
        download.download("time_machine")
    assert server.requests == []


def test_the_texts_fall_back_offline_with_one_line(capsys):
    text = data.time_machine()
    pairs = data.fra_eng()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("The Time Machine not available offline: using the kit's generated")
    assert lines[1].startswith("English-French pairs not available offline: using the kit's generated")
    assert len(text) >= 100_000 and pairs.count("\t") == pairs.count("\n")


def test_a_failed_download_falls_back_saying_why_or_raises(server, monkeypatch, capsys):
    server.publish(monkeypatch, "time_machine", GOOD, sha1="0" * 40)
    assert len(data.time_machine()) >= 100_000
    line, = capsys.readouterr().out.splitlines()
    assert line.startswith("The Time Machine not available (time_machine: the file from") and "SHA-1" in line
    with pytest.raises(download.ChecksumError):
        data.time_machine(fallback=False)


def test_the_texts_come_from_the_server_when_there_is_one(server, monkeypatch, capsys):
    server.publish(monkeypatch, "time_machine", GOOD)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("fra-eng/fra.txt", "Go.\tVa !\n")
    server.publish(monkeypatch, "fra-eng", buffer.getvalue())
    assert data.time_machine() == GOOD.decode()
    assert data.fra_eng() == "Go.\tVa !\n"
    assert capsys.readouterr().out == ""


def test_the_download_command_fetches_and_says_where(server, monkeypatch, cache, capsys):
    server.publish(monkeypatch, "time_machine", GOOD)
    assert data.main(["download", "time_machine"]) == 0
    assert capsys.readouterr().out.strip() == f"time_machine: {cache / 'timemachine.txt'}"
    assert data.main(["download", "fra-eng"]) == 1  # the test server has no fra-eng.zip
    assert "FAILED: fra-eng: " in capsys.readouterr().err


def test_the_hub_has_the_books_urls_and_checksums():
    assert download.DATA_URL == "http://d2l-data.s3-accelerate.amazonaws.com/"
    assert download.DATA_HUB["time_machine"] == ("timemachine.txt", "090b5e7e70c295757f55df93cb0a180b9691891a")
    assert download.DATA_HUB["fra-eng"] == ("fra-eng.zip", "94646ad1522d915e7b0f9296181140edcf86a4f5")
