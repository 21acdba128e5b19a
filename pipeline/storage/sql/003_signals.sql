-- Real-time signals (issue 7): hourly series, alerts, opinion leaders, coordinated accounts,
-- the city's official accounts and their responsiveness, mVoting polls beside online opinion.
-- Written by pipeline.flows from the pure functions of pipeline/analytics (docs/signals.md).

CREATE TABLE IF NOT EXISTS series_hourly (
    bucket    TIMESTAMPTZ NOT NULL,
    kind      VARCHAR NOT NULL,
    key       VARCHAR NOT NULL,
    count     BIGINT NOT NULL,
    negative  BIGINT NOT NULL,
    total     BIGINT NOT NULL,
    authors   BIGINT,
    PRIMARY KEY (bucket, kind, key)
);

CREATE TABLE IF NOT EXISTS alerts (
    alert_id         VARCHAR PRIMARY KEY,
    detected_at      TIMESTAMPTZ NOT NULL,
    bucket           TIMESTAMPTZ NOT NULL,
    last_bucket      TIMESTAMPTZ NOT NULL,
    kind             VARCHAR NOT NULL
        CHECK (kind IN ('negativity_spike', 'volume_burst', 'hashtag_burst', 'new_hashtag')),
    series_kind      VARCHAR NOT NULL,
    policy_area      VARCHAR,
    district         VARCHAR,
    key              VARCHAR NOT NULL,
    observed         BIGINT NOT NULL,
    expected         DOUBLE NOT NULL,
    window_hours     INTEGER NOT NULL,
    score            DOUBLE NOT NULL,
    severity         VARCHAR NOT NULL CHECK (severity IN ('high', 'medium', 'low')),
    sample_post_ids  VARCHAR[],
    status           VARCHAR NOT NULL DEFAULT 'open',
    message_ko       VARCHAR NOT NULL,
    run_id           VARCHAR
);

CREATE TABLE IF NOT EXISTS opinion_leaders (
    day          DATE NOT NULL,
    window_days  INTEGER NOT NULL,
    policy_area  VARCHAR NOT NULL,
    rank         INTEGER NOT NULL,
    author_hash  VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    posts        BIGINT NOT NULL,
    followers    BIGINT,
    engagement   DOUBLE NOT NULL,
    pagerank     DOUBLE NOT NULL,
    score        DOUBLE NOT NULL,
    PRIMARY KEY (day, policy_area, rank)
);

CREATE TABLE IF NOT EXISTS coordinated_accounts (
    day          DATE NOT NULL,
    author_hash  VARCHAR NOT NULL,
    reason       VARCHAR NOT NULL,
    cluster_id   VARCHAR,
    posts        BIGINT NOT NULL,
    first_seen   TIMESTAMPTZ NOT NULL,
    last_seen    TIMESTAMPTZ NOT NULL,
    score        DOUBLE NOT NULL,
    post_ids     VARCHAR[]
);

CREATE TABLE IF NOT EXISTS official_accounts (
    day                      DATE NOT NULL,
    window_days              INTEGER NOT NULL,
    handle                   VARCHAR NOT NULL,
    author_hash              VARCHAR,
    display_name             VARCHAR,
    department               VARCHAR,
    policy_area              VARCHAR,
    platform                 VARCHAR,
    posts                    BIGINT,
    original_posts           BIGINT,
    replies_sent             BIGINT,
    followers                BIGINT,
    views                    DOUBLE,
    reach                    DOUBLE,
    engagement               DOUBLE,
    engagement_per_post      DOUBLE,
    mentions_received        BIGINT,
    audience                 BIGINT,
    questions                BIGINT,
    answered                 BIGINT,
    answer_rate              DOUBLE,
    median_response_minutes  DOUBLE,
    closest_handle           VARCHAR,
    audience_jaccard         DOUBLE,
    content_cosine           DOUBLE,
    merge_candidate          BOOLEAN,
    PRIMARY KEY (day, handle)
);

CREATE TABLE IF NOT EXISTS official_responses (
    post_id           VARCHAR NOT NULL,
    official_handle   VARCHAR NOT NULL,
    department        VARCHAR,
    policy_area       VARCHAR,
    asked_at          TIMESTAMPTZ NOT NULL,
    answered_at       TIMESTAMPTZ,
    answer_post_id    VARCHAR,
    answered_by       VARCHAR,
    response_minutes  DOUBLE,
    answered          BOOLEAN NOT NULL,
    day               DATE,
    PRIMARY KEY (post_id, official_handle)
);

CREATE TABLE IF NOT EXISTS mvoting_polls (
    poll_id      VARCHAR PRIMARY KEY,
    question     VARCHAR NOT NULL,
    policy_area  VARCHAR NOT NULL,
    opened       TIMESTAMPTZ NOT NULL,
    closed       TIMESTAMPTZ NOT NULL,
    keywords     VARCHAR[],
    total_votes  BIGINT NOT NULL,
    n_options    INTEGER NOT NULL,
    source       VARCHAR,
    run_id       VARCHAR
);

CREATE TABLE IF NOT EXISTS mvoting_options (
    poll_id    VARCHAR NOT NULL,
    option_no  INTEGER NOT NULL,
    label      VARCHAR NOT NULL,
    votes      BIGINT NOT NULL,
    share      DOUBLE,
    breakdown  JSON,
    PRIMARY KEY (poll_id, option_no)
);

CREATE TABLE IF NOT EXISTS mvoting_comparison (
    day                    DATE NOT NULL,
    poll_id                VARCHAR NOT NULL,
    question               VARCHAR NOT NULL,
    policy_area            VARCHAR,
    total_votes            BIGINT NOT NULL,
    leading_option         VARCHAR,
    vote_support           DOUBLE,
    support_basis          VARCHAR,
    online_posts           BIGINT NOT NULL,
    online_positive_share  DOUBLE,
    online_negative_share  DOUBLE,
    online_support         DOUBLE,
    positive_keywords      VARCHAR[],
    negative_keywords      VARCHAR[],
    main_arguments         VARCHAR,
    agreement              VARCHAR NOT NULL
        CHECK (agreement IN ('agree', 'disagree', 'insufficient_data')),
    PRIMARY KEY (day, poll_id)
);

CREATE TABLE IF NOT EXISTS planted_events (
    event_id            VARCHAR PRIMARY KEY,
    kind                VARCHAR NOT NULL,
    policy_area         VARCHAR,
    district            VARCHAR,
    hashtag             VARCHAR,
    "start"             TIMESTAMPTZ NOT NULL,
    "end"               TIMESTAMPTZ NOT NULL,
    expected_sentiment  VARCHAR,
    description         VARCHAR,
    planted_posts       BIGINT,
    run_id              VARCHAR
);

COMMENT ON TABLE series_hourly IS '시간별 시계열: 시간 × 종류 × 키 / hourly series per hashtag, keyword, policy area, district, area×district';
COMMENT ON COLUMN series_hourly.bucket IS '시간 구간 시작 (서울 시간 정시) / hour bucket start, Asia/Seoul';
COMMENT ON COLUMN series_hourly.kind IS '종류: total, hashtag, keyword, policy_area, district, area_district_negative / series kind';
COMMENT ON COLUMN series_hourly.key IS '키: 해시태그·키워드·분야 코드·자치구, 분야|자치구 / series key';
COMMENT ON COLUMN series_hourly.count IS '게시물 수 (중복·조직적 활동 제외) / posts, duplicates and coordinated excluded';
COMMENT ON COLUMN series_hourly.negative IS '부정 게시물 수 / negative posts';
COMMENT ON COLUMN series_hourly.total IS '그 시간 전체 게시물 수 / all posts of the hour';
COMMENT ON COLUMN series_hourly.authors IS '작성자 수 / distinct authors';

COMMENT ON TABLE alerts IS '이상 징후 알림: 급증·부정 여론 급증·신규 해시태그 / alerts: bursts, negativity spikes, new hashtags';
COMMENT ON COLUMN alerts.alert_id IS '알림 ID (종류·키·첫 시간으로 결정) / deterministic id';
COMMENT ON COLUMN alerts.detected_at IS '감지 시각 (첫 구간 끝) / when it was detectable: end of the first bucket';
COMMENT ON COLUMN alerts.bucket IS '첫 시간 구간 / first hour bucket';
COMMENT ON COLUMN alerts.last_bucket IS '마지막 시간 구간 (연속 시간은 하나로 합침) / last hour bucket, consecutive hours merged';
COMMENT ON COLUMN alerts.kind IS '종류: negativity_spike, volume_burst, hashtag_burst, new_hashtag / alert kind';
COMMENT ON COLUMN alerts.series_kind IS '근거 시계열 종류 / series kind behind it';
COMMENT ON COLUMN alerts.policy_area IS '정책 분야 코드 / policy-area code';
COMMENT ON COLUMN alerts.district IS '자치구 / district';
COMMENT ON COLUMN alerts.key IS '시계열 키 / series key';
COMMENT ON COLUMN alerts.observed IS '관측 건수 (최고점 구간) / observed count in the peak window';
COMMENT ON COLUMN alerts.expected IS '평소 기대 건수 / expected count from the baseline';
COMMENT ON COLUMN alerts.window_hours IS '집계 시간 수 (1·3·6) / hours summed in the peak window';
COMMENT ON COLUMN alerts.score IS '이상 정도: -log10 p / how unusual, -log10 of the tail probability';
COMMENT ON COLUMN alerts.severity IS '심각도: high, medium, low / severity';
COMMENT ON COLUMN alerts.sample_post_ids IS '예시 게시물 ID / sample posts';
COMMENT ON COLUMN alerts.status IS '상태: open, acknowledged, closed / status, set by staff';
COMMENT ON COLUMN alerts.message_ko IS '알림 문장 / one-sentence message in Korean';

COMMENT ON TABLE opinion_leaders IS '오피니언 리더: 분야별 영향력 순위 / opinion leaders per policy area';
COMMENT ON COLUMN opinion_leaders.policy_area IS '정책 분야 코드 (all = 전체) / policy area, all for every area';
COMMENT ON COLUMN opinion_leaders.author_hash IS '작성자 가명 / pseudonymised author';
COMMENT ON COLUMN opinion_leaders.kind IS '계정 유형: official, media, organisation, individual, unknown / account kind';
COMMENT ON COLUMN opinion_leaders.followers IS '팔로워 수 (없으면 미상) / followers, null when unknown';
COMMENT ON COLUMN opinion_leaders.engagement IS '반응 합계 (좋아요·공유·댓글) / likes + shares + replies';
COMMENT ON COLUMN opinion_leaders.pagerank IS '리포스트·답글·멘션·인용 그래프 PageRank / PageRank on the interaction graph';
COMMENT ON COLUMN opinion_leaders.score IS '종합 점수 0..1 / combined percentile score';

COMMENT ON TABLE coordinated_accounts IS '조직적·봇 의심 계정 / accounts flagged as coordinated or bot-like';
COMMENT ON COLUMN coordinated_accounts.reason IS '사유: copy_cluster, regular_rhythm, high_rate / reason';
COMMENT ON COLUMN coordinated_accounts.cluster_id IS '복붙 묶음 ID / copy-paste cluster';
COMMENT ON COLUMN coordinated_accounts.score IS '확신도 0..1 / confidence';
COMMENT ON COLUMN coordinated_accounts.post_ids IS '근거 게시물 / posts behind the flag';

COMMENT ON TABLE official_accounts IS '서울시 공식 계정 활동·도달·중복 / official accounts: activity, reach, overlap';
COMMENT ON COLUMN official_accounts.handle IS '계정 핸들 (목록: pipeline/analytics/data/official_accounts.csv) / handle from the inventory';
COMMENT ON COLUMN official_accounts.department IS '담당 부서 / department';
COMMENT ON COLUMN official_accounts.reach IS '도달: 조회수 합계, 없으면 팔로워 × 게시물 / views, else followers x posts';
COMMENT ON COLUMN official_accounts.audience IS '상호작용한 시민 계정 수 / citizen accounts interacting with it';
COMMENT ON COLUMN official_accounts.answer_rate IS '시민 질문 응답률 / share of citizen questions answered';
COMMENT ON COLUMN official_accounts.closest_handle IS '가장 비슷한 다른 공식 계정 / most similar other official account';
COMMENT ON COLUMN official_accounts.audience_jaccard IS '청중 중복 (Jaccard) / audience overlap';
COMMENT ON COLUMN official_accounts.content_cosine IS '내용 유사도 (TF-IDF 코사인) / content similarity';
COMMENT ON COLUMN official_accounts.merge_candidate IS '통합 검토 대상 / candidate to merge with closest_handle';

COMMENT ON TABLE official_responses IS '시민 질문과 공식 계정 응답 / citizen posts addressed to official accounts and the answers';
COMMENT ON COLUMN official_responses.post_id IS '시민 게시물 (멘션 또는 답글) / citizen post mentioning or replying';
COMMENT ON COLUMN official_responses.official_handle IS '질문받은 공식 계정 / official account asked';
COMMENT ON COLUMN official_responses.answered_at IS '첫 공식 응답 시각 / first official answer';
COMMENT ON COLUMN official_responses.response_minutes IS '응답 시간 (분) / minutes to answer';

COMMENT ON TABLE mvoting_polls IS '엠보팅 투표 / mVoting polls';
COMMENT ON COLUMN mvoting_polls.keywords IS '온라인 게시물 연결 키워드 / keywords linking online posts';
COMMENT ON TABLE mvoting_options IS '엠보팅 선택지별 득표 / votes per option';
COMMENT ON COLUMN mvoting_options.share IS '득표율 (총 0표면 없음) / vote share, null when no votes';
COMMENT ON COLUMN mvoting_options.breakdown IS '집단별 득표 (연령·성별) / votes per group';
COMMENT ON TABLE mvoting_comparison IS '엠보팅 결과와 온라인 여론 비교 / mVoting result beside online opinion';
COMMENT ON COLUMN mvoting_comparison.vote_support IS '찬성 득표율 (찬성 선택지가 없으면 1위 득표율) / share for 찬성, else the leading option';
COMMENT ON COLUMN mvoting_comparison.online_support IS '온라인 긍정 / (긍정 + 부정) / online positive over positive + negative';
COMMENT ON COLUMN mvoting_comparison.main_arguments IS '주요 논거 키워드 / main arguments (keywords) per side';
COMMENT ON COLUMN mvoting_comparison.agreement IS '일치 여부: agree, disagree, insufficient_data / do vote and online opinion agree';

COMMENT ON TABLE planted_events IS '시뮬레이터가 심은 사건 (정답) / events planted by the simulator, ground truth';
