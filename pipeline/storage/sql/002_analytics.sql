-- Topics, keyword networks, alerts, opinion leaders, official accounts, mVoting (issues 4 and 7).
CREATE TABLE IF NOT EXISTS topics (
    day                      DATE NOT NULL,
    topic_id                 VARCHAR NOT NULL,
    label                    VARCHAR NOT NULL,
    keywords                 VARCHAR[],
    weights                  DOUBLE[],
    n_posts                  BIGINT,
    representative_post_ids  VARCHAR[],
    emerging                 BOOLEAN,
    first_seen               DATE,
    PRIMARY KEY (day, topic_id)
);

CREATE TABLE IF NOT EXISTS post_topics (
    day       DATE NOT NULL,
    post_id   VARCHAR NOT NULL,
    topic_id  VARCHAR NOT NULL,
    weight    DOUBLE,
    PRIMARY KEY (day, post_id)
);

CREATE TABLE IF NOT EXISTS keyword_sentiment (
    day          DATE NOT NULL,
    policy_area  VARCHAR NOT NULL,
    polarity     VARCHAR NOT NULL,
    keyword      VARCHAR NOT NULL,
    count        BIGINT,
    score        DOUBLE,
    rank         INTEGER
);

CREATE TABLE IF NOT EXISTS keyword_links (
    day          DATE NOT NULL,
    policy_area  VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    target       VARCHAR NOT NULL,
    weight       BIGINT,
    npmi         DOUBLE
);
