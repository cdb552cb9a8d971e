from __future__ import annotations

import importlib
import json

import pytest
import spacy

from annotator.domain.errors import InputError
from annotator.nlp.pipelines import (
    blank_pipeline,
    has_default_meta,
    load_pipeline,
    pipeline_source,
    tokenizer_source,
)
from tests.pipelines import save_fake_model


def test_pipelines_loads_a_pipeline_folder(tmp_path):
    folder = save_fake_model(tmp_path / "fake", name="fake", version="1.2.3")
    nlp = load_pipeline(str(folder))
    assert nlp.pipe_names == ["entity_ruler"]
    assert [(e.text, e.label_) for e in nlp("Shelling in Idlib").ents] == [("Idlib", "GPE")]
    assert pipeline_source(nlp) == "model:fake@1.2.3"
    assert not has_default_meta(nlp)


def test_pipelines_loads_an_installed_package(tmp_path, monkeypatch):
    # What `spacy package` + pip install leave behind, built by hand: a package whose
    # load() reads the pipeline folder next to it, and its distribution metadata.
    root = tmp_path / "site"
    package = root / "en_testpipe"
    save_fake_model(package / "en_testpipe-0.2.0", name="testpipe", version="0.2.0")
    (package / "meta.json").write_text((package / "en_testpipe-0.2.0" / "meta.json").read_text())
    (package / "__init__.py").write_text(
        "from spacy.util import load_model_from_init_py\n\n\n"
        "def load(**overrides):\n    return load_model_from_init_py(__file__, **overrides)\n"
    )
    info = root / "en_testpipe-0.2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: en_testpipe\nVersion: 0.2.0\n")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.chdir(tmp_path)  # so that the name is not also a folder here
    importlib.invalidate_caches()
    nlp = load_pipeline("en_testpipe")
    assert pipeline_source(nlp) == "model:testpipe@0.2.0"
    assert [e.label_ for e in nlp("Aleppo").ents] == ["GPE"]


def test_pipelines_missing_model_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as caught:
        load_pipeline("en_core_web_sm_missing")
    assert str(caught.value) == (
        "no spaCy pipeline 'en_core_web_sm_missing': not an installed package or a pipeline folder"
    )


def test_pipelines_file_or_folder_that_is_no_pipeline(tmp_path):
    file = tmp_path / "model.bin"
    file.write_bytes(b"\x00")
    with pytest.raises(InputError, match="model.bin: not a spaCy pipeline folder .it is a file"):
        load_pipeline(str(file))
    output = tmp_path / "output"
    save_fake_model(output / "model-best")
    with pytest.raises(InputError, match=r"no config.cfg\); did you mean .*model-best\?"):
        load_pipeline(str(output))


def test_pipelines_broken_pipeline_is_one_line(tmp_path):
    folder = save_fake_model(tmp_path / "broken")
    config = (folder / "config.cfg").read_text()
    (folder / "config.cfg").write_text(
        config.replace('factory = "entity_ruler"', 'factory = "nope"')
    )
    with pytest.raises(InputError) as caught:
        load_pipeline(str(folder))
    assert str(caught.value).startswith(f"{folder}: cannot load spaCy pipeline (")
    assert "\n" not in str(caught.value)


def test_pipelines_default_meta_is_noticed(tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "GPE", "pattern": "Idlib"}])
    nlp.to_disk(tmp_path / "plain")
    loaded = load_pipeline(str(tmp_path / "plain"))
    assert has_default_meta(loaded)
    assert json.loads((tmp_path / "plain" / "meta.json").read_text())["name"] == "pipeline"


def test_pipelines_blank_and_tokenizer_ids():
    assert blank_pipeline("de").lang == "de"
    assert tokenizer_source("en") == f"spacy:en@{spacy.__version__}"
    with pytest.raises(InputError, match="spaCy has no language 'xx-nope'"):
        blank_pipeline("xx-nope")
