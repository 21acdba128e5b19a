"""Sentiment model: training on a sample, loading, scoring, bad inputs, broken model files."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from pipeline.nlp.sentiment import (
    LABELS,
    ModelLoadError,
    SentimentModel,
    load_sentiment_model,
    sentiment_features,
)
from pipeline.nlp.tokenizer import Tokens, get_tokenizer

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models" / "sentiment"
CORPORA = Path(os.environ.get("MINSIM_CORPORA") or ROOT.parent / "shared" / "data")
needs_corpora = pytest.mark.skipif(
    not (CORPORA / "nsmc_raw").is_dir(),
    reason=f"corpora not found at {CORPORA} (set MINSIM_CORPORA)",
)


@pytest.fixture(scope="session")
def tokenizer():
    return get_tokenizer()


@pytest.fixture(scope="session")
def model():
    return load_sentiment_model(MODELS)


def _predict(model, tokenizer, texts):
    return model.predict(texts, tokenizer.analyze(texts))


def test_committed_model_loads_with_version(model):
    default = (MODELS / "DEFAULT").read_text("utf-8").strip()
    assert model.version == default
    assert model.coef_.shape == (2, 1 << model.n_bits)


def test_scores_known_sentences(model, tokenizer):
    texts = [
        "정말 친절하게 도와주셔서 감사합니다. 최고예요!",
        "민원 넣은 지 한 달째인데 아무 답도 없고 너무 화가 납니다.",
        "서울시, 내년부터 마을버스 요금 조정 예정",
    ]
    labels, scores = _predict(model, tokenizer, texts)
    assert labels == ["positive", "negative", "neutral"]
    assert scores[0] > 0.3 > -0.3 > scores[1]
    assert abs(scores[2]) < scores[0]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😀😀🔥🔥",
        "This is a fine English-only post.",
        "https://example.com/a?b=c",
        "ㅋㅋㅋㅋㅋㅋㅋㅋ",
        "Seoul 서울 東京 Москва 🚇 مرحبا",
        "nul\x00byte",
        "서울 지하철 " * 200,
    ],
)
def test_bad_inputs_give_a_valid_label(model, tokenizer, text):
    labels, scores = _predict(model, tokenizer, [text])
    assert labels[0] in LABELS
    assert -1.0 <= scores[0] <= 1.0 and np.isfinite(scores[0])


def test_100kb_post_is_scored_quickly(model):
    # Tokens are given (the pipeline's tokeniser runs once); features look at the first 1,000 chars
    text = "서울시 민원 답변이 너무 늦어요 " * 6_000
    labels, scores = model.predict([text], [Tokens((("민원", "NNG"), ("늦/VA", "VA")) * 20_000)])
    assert len(text) > 100_000 and labels[0] in LABELS and -1 <= scores[0] <= 1


def test_predict_handles_empty_batch_and_missing_tokens(model):
    labels, scores = model.predict([], [])
    assert labels == [] and scores.shape == (0,)
    texts = ["좋아요", None, "lone \ud800 surrogate"]
    labels, scores = model.predict(texts, [Tokens(())] * 3)  # type: ignore[list-item]
    assert len(labels) == 3 and all(lab in LABELS for lab in labels)
    assert np.isfinite(scores).all()
    with pytest.raises(ValueError):
        model.predict(["a"], [])


def test_features_do_not_depend_on_batch(tokenizer):
    texts = ["지하철이 너무 늦어요", "감사합니다", "", "  좋아  좋아 ", "너무 늦어요 ㅠㅠ"]
    toks = tokenizer.analyze(texts)
    whole = sentiment_features(texts, toks, n_bits=18).toarray()
    one = np.vstack(
        [sentiment_features([t], [k], n_bits=18).toarray() for t, k in zip(texts, toks)]
    )
    np.testing.assert_allclose(whole, one)


# a tiny labelled sample: enough for a model to fit and predict its own training texts
TINY_TEXTS = [
    "정말 좋아요 감사합니다",
    "최고의 서비스",
    "너무 불편하고 짜증나요",
    "최악이다 실망",
    "버스 시간표 안내",
    "공지사항입니다",
] * 5
TINY_LABELS = ["positive", "positive", "negative", "negative", "neutral", "neutral"] * 5


def test_fit_is_deterministic_and_round_trips(tmp_path, tokenizer):
    texts, y = list(TINY_TEXTS), list(TINY_LABELS)
    toks = tokenizer.analyze(texts)
    a = SentimentModel(n_bits=16).fit(texts, toks, y)
    b = SentimentModel(n_bits=16).fit(texts, toks, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    a.save(tmp_path / "v1")
    c = load_sentiment_model(tmp_path / "v1")
    np.testing.assert_allclose(
        c.predict_proba(texts, toks), a.predict_proba(texts, toks), atol=2e-3
    )  # weights are stored as float16


def test_score_sign_never_contradicts_the_label(model, tokenizer):
    texts = [
        "치매안심센터 이런 건 칭찬해야 함 ㅠ",
        "시의회 참 잘~ 돌아가네요 ^^ 🤬",
        "민원 답변 꼼꼼하게 와서 놀람 계속 이렇게 해주세요!",
        "자영업자 대출 이자 감당이 안 됩니다",
        "@hyun.dad 120에 문의해보세요",
        "출근길 2호선 멈춤 실화냐",
    ] * 3
    for bias in (model.class_bias, (0.0, 0.0, -0.75), (0.5, 0.0, -1.0), (-1.0, 0.0, 1.0)):
        m = SentimentModel.__new__(SentimentModel)
        m.__dict__.update(model.__dict__)
        m.class_bias = bias
        labels, scores = _predict(m, tokenizer, texts)
        for label, score in zip(labels, scores, strict=True):
            assert (label != "negative" or score <= 0) and (label != "positive" or score >= 0)


def test_class_bias_moves_the_decision_and_round_trips(tmp_path, tokenizer):
    texts = ["정말 좋아요 감사합니다", "너무 불편하고 짜증나요", "버스 시간표 안내"] * 6
    y = ["positive", "negative", "neutral"] * 6
    toks = tokenizer.analyze(texts)
    m = SentimentModel(n_bits=16).fit(texts, toks, y)
    _, s0 = m.predict(texts, toks)
    m.class_bias = (0.0, 0.0, 30.0)  # an overwhelming positive prior
    labels, s1 = m.predict(texts, toks)
    assert set(labels) == {"positive"}
    # the score follows the corrected probabilities: every post now scores positive
    assert (s1 > 0).all() and (s1 >= s0).all()
    m.save(tmp_path / "v")
    assert load_sentiment_model(tmp_path / "v").class_bias == (0.0, 0.0, 30.0)


@needs_corpora
def test_tune_class_bias_uses_the_dev_set_only(tokenizer):
    from pipeline.nlp.sentiment_train import (
        CIVIC_DEV,
        civic_eval_items,
        civic_eval_keys,
        tune_class_bias,
    )

    dev = civic_eval_items(CORPORA, CIVIC_DEV)
    assert len(dev) >= 140 and set(dev["label"]) == set(LABELS)
    assert not civic_eval_keys(CIVIC_DEV) & civic_eval_keys()  # different items from the test
    m = load_sentiment_model(MODELS)
    texts = dev["text"].tolist()
    cal = tune_class_bias(m, texts, tokenizer.analyze(texts), dev["label"].tolist())
    assert 0.0 <= cal["dev_macro_f1_before"] <= 1.0 and len(m.class_bias) == 3
    assert cal["adopted"] or m.class_bias == (0.0, 0.0, 0.0)


def test_missing_and_corrupt_files_name_the_file(tmp_path, model):
    vdir = tmp_path / "sentiment" / model.version
    shutil.copytree(MODELS / model.version, vdir)
    (tmp_path / "sentiment" / "DEFAULT").write_text(model.version)
    assert load_sentiment_model(tmp_path / "sentiment").version == model.version

    (vdir / "weights.npz").write_bytes(b"not a zip file")
    with pytest.raises(ModelLoadError, match=r"weights\.npz.*minsim train sentiment"):
        load_sentiment_model(tmp_path / "sentiment")
    (vdir / "weights.npz").unlink()
    with pytest.raises(ModelLoadError, match=r"weights\.npz: missing"):
        load_sentiment_model(vdir)
    (vdir / "meta.json").write_text("{broken")
    with pytest.raises(ModelLoadError, match=r"meta\.json"):
        load_sentiment_model(vdir)
    with pytest.raises(ModelLoadError, match=r"DEFAULT: missing"):
        load_sentiment_model(tmp_path / "nowhere")
    (tmp_path / "sentiment" / "DEFAULT").write_text("../../etc")
    with pytest.raises(ModelLoadError, match="DEFAULT"):
        load_sentiment_model(tmp_path / "sentiment")


def test_pickled_weights_are_refused(tmp_path, model):
    vdir = tmp_path / "v"
    shutil.copytree(MODELS / model.version, vdir)
    np.savez(
        vdir / "weights.npz",
        coef=np.array([object()], dtype=object),
        intercept=np.zeros(2, np.float32),
    )
    with pytest.raises(ModelLoadError, match=r"weights\.npz"):
        load_sentiment_model(vdir)


@needs_corpora
def test_train_on_a_sample_is_deterministic(tmp_path, tokenizer):
    import pandas as pd

    from pipeline.nlp.sentiment_train import train_sentiment

    class Memo:  # Kiwi is deterministic: the second run reuses the first run's tokens
        version = tokenizer.version

        def __init__(self) -> None:
            self.cache: dict[str, Tokens] = {}

        def analyze(self, texts):
            todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
            self.cache.update(zip(todo, tokenizer.analyze(todo), strict=True))
            return [self.cache[t] for t in texts]

    feedback = pd.DataFrame({"text": ["따릉이 정말 최고예요"], "sentiment": ["positive"]})
    memo = Memo()
    metas = [
        train_sentiment(
            CORPORA,
            tmp_path / name,
            seed=7,
            sample=1000,
            tokenizer=memo,
            version="sentiment-test",
            feedback=feedback,
            evaluate=False,
        )
        for name in ("a", "b")
    ]
    assert metas[0]["training_rows"] == metas[1]["training_rows"]
    wa = np.load(tmp_path / "a" / "sentiment-test" / "weights.npz")["coef"]
    wb = np.load(tmp_path / "b" / "sentiment-test" / "weights.npz")["coef"]
    np.testing.assert_array_equal(wa, wb)
    assert (tmp_path / "a" / "sentiment-test" / "MODEL_CARD.md").is_file()
    m = load_sentiment_model(tmp_path / "a" / "sentiment-test")
    labels, _ = _predict(m, tokenizer, ["배우 연기가 최고였어요 감동", "돈 아깝다 최악의 영화"])
    assert labels[0] == "positive" and labels[1] == "negative"


def test_handwritten_civic_posts_parse_with_every_label():
    from pipeline.nlp.sentiment_train import civic_handwritten

    hw = civic_handwritten()
    assert set(hw["label"]) == set(LABELS)
    assert hw["label"].value_counts().min() >= 200
    assert hw["text"].is_unique and hw["text"].str.strip().astype(bool).all()


@needs_corpora
def test_handwritten_posts_are_not_civic_eval_texts():
    from pipeline.nlp.sentiment_train import CIVIC_DEV, civic_eval_items, civic_handwritten

    hw = set(civic_handwritten()["text"])
    for path in (CIVIC_DEV, None):
        items = civic_eval_items(CORPORA) if path is None else civic_eval_items(CORPORA, path)
        assert not hw & {" ".join(t.split()) for t in items["text"]}


@needs_corpora
def test_civic_eval_items_resolve_and_stay_out_of_training():
    from pipeline.nlp.sentiment_train import civic_eval_items, civic_eval_keys, training_rows

    items = civic_eval_items(CORPORA)
    assert len(items) >= 300
    assert set(items["label"]) == set(LABELS)
    rows = training_rows(CORPORA, sample=2000)
    assert not set(rows["text"]) & set(items["text"])
    assert len(civic_eval_keys()) == len(items)


def test_morpheme_ngrams_add_features_and_do_not_depend_on_batch(tokenizer):
    texts = ["지하철이 너무 늦어요", "감사합니다", "", "버스 노선 신설을 요청합니다", "ㅋㅋ 😀"]
    toks = tokenizer.analyze(texts)
    plain = sentiment_features(texts, toks, n_bits=18)
    morph = sentiment_features(texts, toks, n_bits=18, morph_ngram=(1, 3))
    assert (np.diff(morph.indptr) >= np.diff(plain.indptr)).all()
    assert np.diff(morph.indptr)[0] > np.diff(plain.indptr)[0]  # endings such as 요/EF count
    one = np.vstack(
        [
            sentiment_features([t], [k], n_bits=18, morph_ngram=(1, 3)).toarray()
            for t, k in zip(texts, toks)
        ]
    )
    np.testing.assert_allclose(morph.toarray(), one)
    empty = sentiment_features(["a"], [Tokens(())], n_bits=18, morph_ngram=(1, 3))
    assert empty.nnz > 0  # character n-grams only


def test_small_subjectivity_head_fits_saves_and_loads(tmp_path, tokenizer):
    texts, y = list(TINY_TEXTS), list(TINY_LABELS)
    toks = tokenizer.analyze(texts)
    kw = {"n_bits": 16, "morph_ngram": (1, 3), "subjectivity_bits": 14, "weight_mantissa_bits": 7}
    a = SentimentModel(**kw).fit(texts, toks, y)
    b = SentimentModel(**kw).fit(texts, toks, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.coef_.shape == (2, 1 << 16)
    # the subjectivity weights repeat in blocks of 4 columns (top 14 of 16 hash bits)
    np.testing.assert_array_equal(a.coef_[0].reshape(-1, 4), a.coef_[0, ::4, None].repeat(4, 1))
    a.save(tmp_path / "v")
    with np.load(tmp_path / "v" / "weights.npz", allow_pickle=False) as npz:
        assert sorted(npz.files) == ["coef_polarity", "coef_subjectivity", "intercept"]
        assert npz["coef_subjectivity"].shape == (1 << 14,)
    # float16 with 3 low mantissa bits zero: the stored weights are exactly the fitted ones
    assert not (a.coef_.astype(np.float16).view(np.uint16) & 0b111).any()
    c = load_sentiment_model(tmp_path / "v")
    assert c.morph_ngram == (1, 3) and c.subjectivity_bits == 14
    np.testing.assert_array_equal(c.coef_, a.coef_)
    np.testing.assert_array_equal(c.predict_proba(texts, toks), a.predict_proba(texts, toks))
    labels, _ = c.predict(texts[:6], toks[:6])
    assert labels == y[:6]


def test_bad_feature_params_in_meta_are_refused(tmp_path, tokenizer):
    texts = ["좋아요", "싫어요", "안내"] * 4
    toks = tokenizer.analyze(texts)
    SentimentModel(n_bits=14, subjectivity_bits=12).fit(
        texts, toks, ["positive", "negative", "neutral"] * 4
    ).save(tmp_path / "v")
    meta_path = tmp_path / "v" / "meta.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    for key, value in (("morph_ngram", [1, 5]), ("subjectivity_bits", 15)):
        bad = {**meta, "params": {**meta["params"], key: value}}
        meta_path.write_text(json.dumps(bad), "utf-8")
        with pytest.raises(ModelLoadError, match=r"meta\.json"):
            load_sentiment_model(tmp_path / "v")
    meta_path.write_text(json.dumps(meta), "utf-8")
    assert load_sentiment_model(tmp_path / "v").subjectivity_bits == 12


@pytest.mark.parametrize(
    "version",
    [f"sentiment-2026.11.{n}" for n in (2, 3, 4, 5, 6)],
)
def test_previous_versions_still_load_and_score(version, tokenizer):
    """Rollback: earlier versions (one `coef` array, no morpheme n-grams) load and score."""
    old = load_sentiment_model(MODELS / version)
    assert old.version == version and old.morph_ngram is None
    assert old.coef_.shape == (2, 1 << old.n_bits)
    texts = [
        "정말 친절하게 도와주셔서 감사합니다. 최고예요!",
        "민원 넣은 지 한 달째인데 너무 화가 납니다.",
    ]
    labels, _ = old.predict(texts, tokenizer.analyze(texts))
    assert labels == ["positive", "negative"]


def test_rating_head_folds_into_the_polarity_head(tmp_path, tokenizer):
    """Off by default; on, it changes only the polarity row, deterministically, same file format."""
    texts, y = list(TINY_TEXTS), list(TINY_LABELS)
    rating = [10.0, 9.0, 1.0, 2.0, np.nan, np.nan] * 5
    # reviews rated 5–8 teach only the rating head (weight 0 in both other heads)
    texts += ["그냥 그래요 볼만함", "나쁘지 않았어요 괜찮음", "조금 지루했어요"] * 3
    y += ["neutral"] * 9
    rating += [7.0, 8.0, 5.0] * 3
    w = np.array([1.0] * 30 + [0.0] * 9)
    toks = tokenizer.analyze(texts)
    kw = {"sample_weight": w, "subjectivity_weight": w}
    base = SentimentModel(n_bits=16).fit(texts, toks, y, **kw)
    off = SentimentModel(n_bits=16).fit(texts, toks, y, rating=np.array(rating), **kw)
    np.testing.assert_array_equal(off.coef_, base.coef_)
    a = SentimentModel(n_bits=16, rating_mix=0.3).fit(
        texts, toks, y, rating=np.array(rating), **kw
    )
    b = SentimentModel(n_bits=16, rating_mix=0.3).fit(
        texts, toks, y, rating=np.array(rating), **kw
    )
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.coef_[0], base.coef_[0])
    assert not np.array_equal(a.coef_[1], base.coef_[1])
    labels, _ = a.predict(texts[:6], toks[:6])
    assert labels == y[:6]
    a.save(tmp_path / "v")
    with np.load(tmp_path / "v" / "weights.npz", allow_pickle=False) as npz:
        assert sorted(npz.files) == ["coef", "intercept"]
    c = load_sentiment_model(tmp_path / "v")
    assert c.rating_mix == 0.3 and c.rating_thresholds == (5, 7, 9)
    np.testing.assert_allclose(
        c.predict_proba(texts, toks), a.predict_proba(texts, toks), atol=2e-3
    )
    with pytest.raises(ValueError, match="rating"):
        SentimentModel(n_bits=16, rating_mix=0.3).fit(texts, toks, y, **kw)


@needs_corpora
def test_reviews_rated_5_and_8_teach_only_the_polarity_head():
    from pipeline.nlp.sentiment_train import SentimentTrainConfig, nsmc_ratings, training_rows

    rows = training_rows(CORPORA, sample=2000)  # on by default since 2026.11.6
    mid = rows[rows["source"] == "nsmc_5_8"]
    assert len(mid) == 500 and (mid["w_pol"] == 0.3).all() and (mid["w_subj"] == 0).all()
    rated = nsmc_ratings(CORPORA)
    train = rated[rated["split"] == "train"]
    five, eight = (set(train.loc[train["rating"] == r, "text"]) for r in (5, 8))
    assert mid.loc[mid["label"] == "negative", "text"].isin(five).all()  # training movies only
    assert mid.loc[mid["label"] == "positive", "text"].isin(eight).all()
    assert set(mid["label"]) == {"negative", "positive"}
    off = training_rows(CORPORA, sample=2000, config=SentimentTrainConfig(nsmc_mid_weight=0.0))
    assert "nsmc_5_8" not in set(off["source"])
    # reviews rated 6 (negative) and 7 (positive) join the same way with their own weight
    cfg = SentimentTrainConfig(nsmc_center_weight=0.2)
    center = training_rows(CORPORA, sample=2000, config=cfg)
    center = center[center["source"] == "nsmc_6_7"]
    assert len(center) == 500 and (center["w_pol"] == 0.2).all() and (center["w_subj"] == 0).all()
    six, seven = (set(train.loc[train["rating"] == r, "text"]) for r in (6, 7))
    assert center.loc[center["label"] == "negative", "text"].isin(six).all()
    assert center.loc[center["label"] == "positive", "text"].isin(seven).all()


@needs_corpora
def test_rating_rows_only_when_the_rating_head_is_on():
    from pipeline.nlp.sentiment_train import SentimentTrainConfig, training_rows

    assert "rating" not in training_rows(CORPORA, sample=2000).columns
    rows = training_rows(CORPORA, sample=2000, config=SentimentTrainConfig(rating_mix=0.3))
    nsmc = rows[rows["source"] == "nsmc"]
    assert ((nsmc["rating"] >= 9) == (nsmc["label"] == "positive")).all()
    assert nsmc["rating"].between(1, 10).all() and not nsmc["rating"].between(5, 8).any()
    mid = rows[rows["source"] == "nsmc_rating_5_8"]
    assert len(mid) > 0 and mid["rating"].between(5, 8).all()
    assert (mid[["w_pol", "w_subj"]] == 0).all().all()
    assert rows.loc[~rows["source"].str.startswith("nsmc"), "rating"].isna().all()


def test_labelled_tweets_file_holds_references_only_and_no_eval_item():
    from pipeline.nlp.sentiment_train import (
        CIVIC_DEV,
        LABELLED_FILE,
        civic_eval_keys,
        labelled_source_allowed,
    )

    items = [json.loads(line) for line in LABELLED_FILE.read_text("utf-8").splitlines()]
    assert len(items) >= 1500
    assert all(set(r) == {"source", "key", "label"} for r in items)  # no text copied
    assert all(labelled_source_allowed(r["source"]) for r in items)
    assert {r["label"] for r in items} == set(LABELS)
    keys = [(r["source"], r["key"]) for r in items]
    assert len(set(keys)) == len(keys)
    assert not set(keys) & (civic_eval_keys() | civic_eval_keys(CIVIC_DEV))


@needs_corpora
def test_labelled_tweets_replace_their_weak_labels():
    from pipeline.nlp.sentiment_train import (
        SentimentTrainConfig,
        labelled_tweets,
        training_rows,
    )

    lab = labelled_tweets(CORPORA)
    assert len(lab) >= 1500 and lab["text"].str.strip().astype(bool).all()
    off = SentimentTrainConfig(labelled_weight=0.0)
    assert "labelled" not in set(training_rows(CORPORA, sample=2000, config=off)["source"])
    rows = training_rows(CORPORA, sample=2000)  # on by default since 2026.11.4
    mine = rows[rows["source"] == "labelled"]
    assert len(mine) == len(lab) and (mine[mine["label"] != "neutral"]["w_pol"] == 3.0).all()
    weak = rows[rows["source"].isin(["moon", "news", "sarcasm_plain", "kote"])]
    assert not set(weak["text"]) & set(lab["text"])


def test_labelled_items_refuse_an_eval_item_an_unlicensed_source_or_a_bad_label():
    import pandas as pd

    from pipeline.nlp import sentiment_train as st

    dev = [json.loads(x) for x in st.CIVIC_DEV.read_text("utf-8").splitlines()]
    dev_moon = next(r for r in dev if r["source"] == st.MOON_FILE)
    ok = {"source": st.MOON_FILE, "key": "1", "label": "neutral"}
    kote_train = next(str(i) for i in range(1, 100) if st._bucket(str(i), 5) != 0)
    kote_test = next(str(i) for i in range(1, 100) if st._bucket(str(i), 5) == 0)
    petition = dict(ok, source=st.PETITION_LOVIT_PREFIX + "petitions_2019-05")
    comment = dict(ok, source=st.HATE_FILE)
    st.check_labelled_items(
        pd.DataFrame([ok, dict(ok, source=st.KOTE_FILE, key=kote_train), petition, comment])
    )
    for row, msg in (
        (dev_moon, "TEST/DEV"),
        (dict(ok, source=st.KOTE_FILE, key=kote_test), "KOTE test"),
        (dict(ok, source="knu_sentilex/SentiWord_info.json"), "not allowed"),
        (dict(ok, source="petitions_lovit"), "not allowed"),
        (dict(ok, label="skip"), "unknown labels"),
    ):
        with pytest.raises(ValueError, match=msg):
            st.check_labelled_items(pd.DataFrame([ok, row]))


def test_both_civic_sets_carry_a_second_annotators_label_and_the_report_reads_it():
    import pandas as pd

    from pipeline.nlp import sentiment_train as st

    for path in (st.CIVIC_EVAL, st.CIVIC_DEV):
        rows = [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]
        assert {r["label_2"] for r in rows} == set(LABELS), path.name
        assert all(set(r) == {"source", "key", "label", "label_2"} for r in rows)  # no text
    items = pd.DataFrame(
        {
            "label": ["negative", "neutral", "positive", "neutral"],
            "label_2": ["negative", "neutral", "positive", "positive"],
        }
    )
    rep = st.second_annotator_report(items, ["negative", "neutral", "neutral", "positive"])
    assert rep["n"] == 4 and rep["agreement"] == 0.75 and rep["n_agreed"] == 3
    assert 0.0 < rep["kappa"] < 1.0
    # against annotator 2 the model errs once (positive read as neutral); where both agree, too
    assert rep["model_macro_f1_vs_second"] == st.three_class_report(
        items["label_2"].tolist(), ["negative", "neutral", "neutral", "positive"]
    )["macro_f1"]
    assert rep["model_macro_f1_where_agreed"] == pytest.approx(0.5556, abs=1e-4)
    assert st.second_annotator_report(items.drop(columns="label_2"), ["neutral"] * 4) is None
