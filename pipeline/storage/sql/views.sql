-- Staff views (re-created after every migration) and comments in Korean and English.
CREATE OR REPLACE VIEW policy_areas AS
SELECT * FROM (VALUES
    ('transport_urban', '교통·도시'), ('safety_environment', '안전·환경'),
    ('health_welfare', '보건·복지'), ('education_childcare', '교육·보육'),
    ('economy_jobs', '경제·일자리'), ('culture_sports', '문화·체육·관광'),
    ('administration', '행정·참여'), ('rights_equality', '인권·평등'),
    ('animals', '반려동물'), ('other', '기타')
) AS t(policy_area, area_ko);

CREATE OR REPLACE VIEW v_posts AS
SELECT p.post_id, p.channel, p.created_at, p.day, p.text, p.author_hash, p.hashtags, p.mentions,
       p.likes, p.shares, p.replies, p.views, p.reply_to, p.repost_of, p.duplicate_of,
       n.sentiment, n.sentiment_score, n.policy_area, a.area_ko, n.sub_issue, n.districts,
       n.keywords, n.model_version
FROM posts p
LEFT JOIN post_nlp n USING (post_id)
LEFT JOIN policy_areas a ON a.policy_area = n.policy_area;

CREATE OR REPLACE VIEW v_opinion_daily AS
SELECT o.day, o.policy_area, a.area_ko, o.district, o.channel, o.posts, o.negative, o.neutral,
       o.positive, o.mean_score,
       CASE WHEN o.posts > 0 THEN o.negative::DOUBLE / o.posts END AS negative_share
FROM opinion_daily o
LEFT JOIN policy_areas a USING (policy_area);

CREATE OR REPLACE VIEW v_area_daily AS
SELECT n.day, n.policy_area, a.area_ko, count(*) AS posts,
       count(*) FILTER (WHERE n.sentiment = 'negative') AS negative,
       count(*) FILTER (WHERE n.sentiment = 'neutral') AS neutral,
       count(*) FILTER (WHERE n.sentiment = 'positive') AS positive,
       avg(n.sentiment_score) AS mean_score
FROM post_nlp n
JOIN posts p USING (post_id)
LEFT JOIN policy_areas a ON a.policy_area = n.policy_area
WHERE p.duplicate_of IS NULL
GROUP BY ALL;

COMMENT ON TABLE posts IS '저장된 게시물 (개인정보 마스킹됨) / stored posts, personal data masked';
COMMENT ON COLUMN posts.post_id IS '게시물 ID: 채널:원본ID / channel:source id';
COMMENT ON COLUMN posts.channel IS '채널 (x, news, blog, petition, mvoting …) / channel';
COMMENT ON COLUMN posts.created_at IS '작성 시각 (UTC 저장) / creation time, stored as an instant';
COMMENT ON COLUMN posts.day IS '작성일 (서울 시간) / calendar day in Asia/Seoul';
COMMENT ON COLUMN posts.text IS '본문, 개인정보 마스킹 / text as written, personal data masked';
COMMENT ON COLUMN posts.text_norm IS '분석용 정규화 본문 / normalised text used for analysis';
COMMENT ON COLUMN posts.author_hash IS '작성자 가명 (솔트 해시) / salted hash of the author';
COMMENT ON COLUMN posts.hashtags IS '해시태그, 쓴 그대로 (#서울시) / hashtags as written, with #';
COMMENT ON COLUMN posts.duplicate_of IS '중복 원본 게시물 ID (리포스트·복붙) / post this one duplicates';
COMMENT ON COLUMN posts.duplicate_kind IS '중복 종류: repost, exact, near / kind of duplicate';
COMMENT ON TABLE post_nlp IS '게시물 분석 결과 / NLP results per post';
COMMENT ON COLUMN post_nlp.sentiment IS '감성: negative/neutral/positive / sentiment label';
COMMENT ON COLUMN post_nlp.sentiment_score IS '감성 점수 -1..1 / sentiment score';
COMMENT ON COLUMN post_nlp.policy_area IS '정책 분야 코드 / policy-area code (policy_taxonomy.md)';
COMMENT ON COLUMN post_nlp.sub_issue IS '세부 이슈 코드 / finer sub-issue code';
COMMENT ON COLUMN post_nlp.districts IS '언급된 자치구 / Seoul districts named';
COMMENT ON COLUMN post_nlp.keywords IS '키워드 / keywords';
COMMENT ON COLUMN post_nlp.model_version IS '모델 버전 / versions of the models that scored the post';
COMMENT ON TABLE opinion_daily IS '일별 여론: 일 × 정책분야 × 자치구 × 채널 / daily opinion';
COMMENT ON COLUMN opinion_daily.district IS '자치구 (미상 = 언급 없음) / district, 미상 when none named';
COMMENT ON COLUMN opinion_daily.posts IS '게시물 수 (중복·조직적 활동 제외) / posts, duplicates and coordinated excluded';
COMMENT ON COLUMN opinion_daily.mean_score IS '평균 감성 점수 / mean sentiment score';
COMMENT ON COLUMN opinion_daily.excluded IS '제외된 게시물 수 (조직적·봇 의심) / posts excluded as coordinated';
COMMENT ON TABLE quarantine IS '격리된 입력 행과 사유 / rejected input rows with the reason';
COMMENT ON TABLE pipeline_runs IS '단계별 실행 기록: 읽음 = 저장 + 중복 + 격리 / one row per stage run';
COMMENT ON VIEW v_posts IS '게시물과 분석 결과 / posts joined with their NLP results';
COMMENT ON COLUMN v_posts.area_ko IS '정책 분야 (한국어) / policy area in Korean';
COMMENT ON VIEW v_opinion_daily IS '일별 여론 + 분야명·부정 비율 / daily opinion with names and negative share';
COMMENT ON COLUMN v_opinion_daily.negative_share IS '부정 비율 / share of negative posts';
COMMENT ON VIEW v_area_daily IS '정책 분야별 일별 합계 (중복 제외) / daily totals per policy area, duplicates excluded';
