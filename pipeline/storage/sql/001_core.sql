-- Core tables of interfaces.md: posts, post_nlp, opinion_daily, quarantine, pipeline_runs, raw payloads.
CREATE TABLE IF NOT EXISTS pipeline_runs (
    run_id        VARCHAR NOT NULL,
    stage         VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        VARCHAR NOT NULL,
    "read"        BIGINT DEFAULT 0,
    stored        BIGINT DEFAULT 0,
    duplicates    BIGINT DEFAULT 0,
    quarantined   BIGINT DEFAULT 0,
    source        VARCHAR,
    window_start  TIMESTAMPTZ,
    window_end    TIMESTAMPTZ,
    message       VARCHAR,
    PRIMARY KEY (run_id, stage)
);

CREATE TABLE IF NOT EXISTS posts (
    post_id          VARCHAR PRIMARY KEY,
    channel          VARCHAR NOT NULL,
    source_id        VARCHAR NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    day              DATE NOT NULL,
    text             VARCHAR NOT NULL,
    text_norm        VARCHAR NOT NULL,
    author_hash      VARCHAR,
    author_followers BIGINT,
    likes            BIGINT,
    shares           BIGINT,
    replies          BIGINT,
    views            BIGINT,
    reply_to         VARCHAR,
    repost_of        VARCHAR,
    quote_of         VARCHAR,
    url              VARCHAR,
    lang             VARCHAR,
    place            VARCHAR,
    hashtags         VARCHAR[],
    mentions         VARCHAR[],
    urls             VARCHAR[],
    pii_masked       INTEGER DEFAULT 0,
    text_key         VARCHAR NOT NULL,
    duplicate_of     VARCHAR,
    duplicate_kind   VARCHAR,
    run_id           VARCHAR
);

CREATE TABLE IF NOT EXISTS raw_posts (
    post_id      VARCHAR PRIMARY KEY,
    channel      VARCHAR NOT NULL,
    source       VARCHAR,
    run_id       VARCHAR,
    payload      JSON NOT NULL
);

CREATE TABLE IF NOT EXISTS quarantine (
    run_id         VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    line_no        BIGINT,
    payload        VARCHAR,
    reason         VARCHAR NOT NULL,
    quarantined_at TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS post_nlp (
    post_id          VARCHAR PRIMARY KEY,
    day              DATE NOT NULL,
    sentiment        VARCHAR NOT NULL,
    sentiment_score  DOUBLE NOT NULL,
    policy_area      VARCHAR NOT NULL,
    sub_issue        VARCHAR,
    policy_confidence DOUBLE,
    districts        VARCHAR[] NOT NULL,
    keywords         VARCHAR[] NOT NULL,
    model_version    VARCHAR NOT NULL,
    tokenizer        VARCHAR,
    run_id           VARCHAR
);

CREATE TABLE IF NOT EXISTS opinion_daily (
    day          DATE NOT NULL,
    policy_area  VARCHAR NOT NULL,
    district     VARCHAR NOT NULL,
    channel      VARCHAR NOT NULL,
    posts        BIGINT NOT NULL,
    negative     BIGINT NOT NULL,
    neutral      BIGINT NOT NULL,
    positive     BIGINT NOT NULL,
    mean_score   DOUBLE,
    excluded     BIGINT DEFAULT 0,
    PRIMARY KEY (day, policy_area, district, channel)
);

CREATE TABLE IF NOT EXISTS label_feedback (
    post_id     VARCHAR NOT NULL,
    sentiment   VARCHAR NOT NULL CHECK (sentiment IN ('negative', 'neutral', 'positive')),
    analyst     VARCHAR,
    note        VARCHAR,
    created_at  TIMESTAMPTZ DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS ingested_files (
    sha256      VARCHAR PRIMARY KEY,
    path        VARCHAR,
    channel     VARCHAR,
    run_id      VARCHAR,
    ingested_at TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS x_cursors (
    query         VARCHAR NOT NULL,
    window_start  TIMESTAMPTZ NOT NULL,
    window_end    TIMESTAMPTZ NOT NULL,
    since_id      VARCHAR,
    next_token    VARCHAR,
    complete      BOOLEAN NOT NULL DEFAULT false,
    updated_at    TIMESTAMPTZ,
    PRIMARY KEY (query, window_start, window_end)
);

CREATE TABLE IF NOT EXISTS feed_state (
    url            VARCHAR PRIMARY KEY,
    etag           VARCHAR,
    last_modified  VARCHAR,
    updated_at     TIMESTAMPTZ
);
