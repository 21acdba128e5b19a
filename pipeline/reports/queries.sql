-- Read-only queries of the briefing, one per `-- name:` block, loaded by briefing.py.
-- Bound parameters: $start/$end (reported period), $base_start/$base_end (the 7 days before it),
-- $trend_start (first day of the trend chart), $resp_start/$as_of/$due_before (citizen questions
-- to official accounts, see official_responses), $limit. Duplicates (posts.duplicate_of) never count.

-- name: area_totals
SELECT n.policy_area,
       count(*) FILTER (WHERE n.day >= $start)                               AS posts,
       count(*) FILTER (WHERE n.day >= $start AND n.sentiment = 'negative')  AS negative,
       count(*) FILTER (WHERE n.day >= $start AND n.sentiment = 'neutral')   AS neutral,
       count(*) FILTER (WHERE n.day >= $start AND n.sentiment = 'positive')  AS positive,
       avg(n.sentiment_score) FILTER (WHERE n.day >= $start)                 AS mean_score,
       count(*) FILTER (WHERE n.day <= $base_end)                            AS base_posts,
       count(*) FILTER (WHERE n.day <= $base_end AND n.sentiment = 'negative') AS base_negative
FROM post_nlp n
JOIN posts p ON p.post_id = n.post_id
WHERE n.day BETWEEN $base_start AND $end AND p.duplicate_of IS NULL
GROUP BY n.policy_area;

-- name: base_days
SELECT count(DISTINCT day) AS n FROM posts WHERE day BETWEEN $base_start AND $base_end;

-- name: daily_series
SELECT n.day, count(*) AS posts, count(*) FILTER (WHERE n.sentiment = 'negative') AS negative
FROM post_nlp n
JOIN posts p ON p.post_id = n.post_id
WHERE n.day BETWEEN $trend_start AND $end AND p.duplicate_of IS NULL
GROUP BY n.day
ORDER BY n.day;

-- name: district_totals
WITH d AS (
    SELECT district, policy_area,
           sum(posts) FILTER (WHERE day >= $start)       AS posts,
           sum(negative) FILTER (WHERE day >= $start)    AS negative,
           sum(posts) FILTER (WHERE day <= $base_end)    AS base_posts,
           sum(negative) FILTER (WHERE day <= $base_end) AS base_negative
    FROM opinion_daily
    WHERE day BETWEEN $base_start AND $end
    GROUP BY district, policy_area
)
SELECT district,
       coalesce(sum(posts), 0)::BIGINT         AS posts,
       coalesce(sum(negative), 0)::BIGINT      AS negative,
       coalesce(sum(base_posts), 0)::BIGINT    AS base_posts,
       coalesce(sum(base_negative), 0)::BIGINT AS base_negative,
       arg_max(policy_area, coalesce(posts, 0)) AS top_area
FROM d
GROUP BY district;

-- name: sub_issues
SELECT n.policy_area, n.sub_issue, count(*) AS posts,
       count(*) FILTER (WHERE n.sentiment = 'negative') AS negative
FROM post_nlp n
JOIN posts p ON p.post_id = n.post_id
WHERE n.day BETWEEN $start AND $end AND p.duplicate_of IS NULL AND n.sub_issue IS NOT NULL
GROUP BY n.policy_area, n.sub_issue
QUALIFY row_number() OVER (PARTITION BY n.policy_area ORDER BY count(*) DESC, n.sub_issue) <= 5
ORDER BY n.policy_area, posts DESC;

-- name: area_keywords
WITH k AS (
    SELECT n.policy_area, unnest(n.keywords) AS keyword, n.day
    FROM post_nlp n
    JOIN posts p ON p.post_id = n.post_id
    WHERE n.day BETWEEN $base_start AND $end AND p.duplicate_of IS NULL
)
SELECT policy_area, keyword,
       count(*) FILTER (WHERE day >= $start)    AS posts,
       count(*) FILTER (WHERE day <= $base_end) AS base_posts
FROM k
GROUP BY policy_area, keyword
HAVING count(*) FILTER (WHERE day >= $start) > 0
QUALIFY row_number() OVER (
    PARTITION BY policy_area ORDER BY count(*) FILTER (WHERE day >= $start) DESC, keyword) <= 8
ORDER BY policy_area, posts DESC;

-- name: representative_posts
-- The most engaged post per area and sentiment, preferring posts the model is sure of (a negative or
-- positive one with |score| >= 0.3, a neutral one with |score| < 0.3) and posts written in Korean:
-- a borderline label shown as "the" example misleads more than a less-liked clear one.
SELECT n.policy_area, n.sentiment, p.channel, p.created_at, p.text,
       coalesce(p.likes, 0) + coalesce(p.shares, 0) + coalesce(p.replies, 0) AS engagement,
       n.districts
FROM post_nlp n
JOIN posts p ON p.post_id = n.post_id
WHERE n.day BETWEEN $start AND $end AND p.duplicate_of IS NULL
QUALIFY row_number() OVER (
    PARTITION BY n.policy_area, n.sentiment
    ORDER BY (abs(coalesce(n.sentiment_score, 0)) >= 0.3) = (n.sentiment <> 'neutral') DESC,
             regexp_matches(p.text, '[가-힣]') DESC,
             coalesce(p.likes, 0) + coalesce(p.shares, 0) + coalesce(p.replies, 0) DESC, p.post_id
) = 1;

-- name: hashtags
WITH h AS (
    SELECT lower(ltrim(unnest(hashtags), '#')) AS tag, day  -- stored as '#서울시'; shown with one '#'
    FROM posts
    WHERE day BETWEEN $base_start AND $end AND duplicate_of IS NULL
)
SELECT tag,
       count(*) FILTER (WHERE day >= $start)    AS posts,
       count(*) FILTER (WHERE day <= $base_end) AS base_posts
FROM h
GROUP BY tag
HAVING count(*) FILTER (WHERE day >= $start) > 0;

-- name: hashtag_coordination
-- Per tag of the period, posts by accounts flagged in `coordinated_accounts` on a day of the period.
-- Copies count here (a campaign is mostly copies, which `hashtags` leaves out).
WITH flagged AS (
    SELECT DISTINCT author_hash FROM coordinated_accounts WHERE day BETWEEN $start AND $end
),
h AS (
    SELECT lower(ltrim(unnest(p.hashtags), '#')) AS tag, p.post_id,
           p.author_hash IN (SELECT author_hash FROM flagged) AS coordinated
    FROM posts p
    WHERE p.day BETWEEN $start AND $end
)
SELECT tag,
       count(DISTINCT post_id)                              AS all_posts,
       count(DISTINCT post_id) FILTER (WHERE coordinated)   AS coordinated_posts
FROM h
GROUP BY tag;

-- name: channels
-- `analysed` counts every analysed stored post, reposts and copies included; `analysed_originals`
-- only those without `duplicate_of`, the figure every other section (and the top card) counts.
SELECT p.channel,
       count(*)                                         AS stored,
       count(*) FILTER (WHERE p.duplicate_of IS NOT NULL) AS duplicates,
       count(n.post_id)                                 AS analysed,
       count(n.post_id) FILTER (WHERE p.duplicate_of IS NULL) AS analysed_originals
FROM posts p
LEFT JOIN post_nlp n ON n.post_id = p.post_id
WHERE p.day BETWEEN $start AND $end
GROUP BY p.channel
ORDER BY stored DESC;

-- name: model_versions
SELECT model_version, count(*) AS posts
FROM post_nlp
WHERE day BETWEEN $start AND $end
GROUP BY model_version
ORDER BY posts DESC;

-- name: excluded
SELECT coalesce(sum(excluded), 0)::BIGINT AS excluded
FROM opinion_daily
WHERE day BETWEEN $start AND $end;

-- name: runs
SELECT stage, count(*) AS runs,
       count(*) FILTER (WHERE status NOT IN ('success', 'ok', 'done')) AS not_ok,
       sum("read")::BIGINT AS "read", sum(stored)::BIGINT AS stored,
       sum(duplicates)::BIGINT AS duplicates, sum(quarantined)::BIGINT AS quarantined,
       max(finished_at) AS last_finished
FROM pipeline_runs
WHERE (window_start IS NOT NULL
       AND window_start < ($end + 1)::TIMESTAMP AT TIME ZONE 'Asia/Seoul'
       AND coalesce(window_end, window_start) > $start::TIMESTAMP AT TIME ZONE 'Asia/Seoul')
   OR (window_start IS NULL
       AND (started_at AT TIME ZONE 'Asia/Seoul')::DATE BETWEEN $start AND $end)
GROUP BY stage
ORDER BY min(started_at);

-- name: quarantine_reasons
SELECT q.reason, count(*) AS rows
FROM quarantine q
WHERE q.run_id IN (
        SELECT run_id FROM pipeline_runs
        WHERE (window_start IS NOT NULL
               AND window_start < ($end + 1)::TIMESTAMP AT TIME ZONE 'Asia/Seoul'
               AND coalesce(window_end, window_start) > $start::TIMESTAMP AT TIME ZONE 'Asia/Seoul')
           OR (window_start IS NULL
               AND (started_at AT TIME ZONE 'Asia/Seoul')::DATE BETWEEN $start AND $end))
   OR (q.quarantined_at AT TIME ZONE 'Asia/Seoul')::DATE BETWEEN $start AND $end
GROUP BY q.reason
ORDER BY rows DESC
LIMIT 10;

-- name: topics
SELECT label, list_distinct(flatten(list(keywords)))[1:8] AS keywords, sum(n_posts)::BIGINT AS posts,
       bool_or(coalesce(emerging, false)) AS emerging, min(first_seen) AS first_seen
FROM topics
WHERE day BETWEEN $start AND $end
GROUP BY label
ORDER BY emerging DESC, posts DESC
LIMIT 15;

-- name: keyword_sentiment
SELECT policy_area, polarity, keyword, sum(count)::BIGINT AS posts
FROM keyword_sentiment
WHERE day BETWEEN $start AND $end AND polarity IN ('negative', 'positive')
GROUP BY policy_area, polarity, keyword
QUALIFY row_number() OVER (PARTITION BY policy_area, polarity ORDER BY sum(count) DESC, keyword) <= 8
ORDER BY policy_area, polarity, posts DESC;

-- name: keyword_links
SELECT policy_area, source, target, sum(weight)::DOUBLE AS weight
FROM keyword_links
WHERE day BETWEEN $start AND $end
GROUP BY policy_area, source, target
QUALIFY row_number() OVER (PARTITION BY policy_area ORDER BY sum(weight) DESC, source, target) <= 25
ORDER BY policy_area, weight DESC;

-- name: official_responses
-- Citizen posts addressed to an official account in the last 7 days up to the end of the period
-- ($as_of), per department: how many were answered and how fast, how many are still within the
-- response target ($due_before = $as_of minus the target: 'pending') and how many are past it
-- unanswered ('overdue'); the department's policy areas, most frequent first.
WITH r AS (
    SELECT coalesce(department, official_handle) AS department, policy_area, answered,
           response_minutes, asked_at
    FROM official_responses
    WHERE day BETWEEN $resp_start AND $end AND asked_at < $as_of
),
areas AS (
    SELECT department, string_agg(policy_area, ',' ORDER BY n DESC, policy_area) AS policy_areas
    FROM (SELECT department, policy_area, count(*) AS n FROM r WHERE policy_area IS NOT NULL GROUP BY ALL)
    GROUP BY department
)
SELECT r.department,
       count(*)                                                          AS asked,
       count(*) FILTER (WHERE answered)                                  AS answered,
       median(response_minutes) FILTER (WHERE answered)                  AS median_minutes,
       count(*) FILTER (WHERE NOT answered AND asked_at >= $due_before)  AS pending,
       count(*) FILTER (WHERE NOT answered AND asked_at < $due_before)   AS overdue,
       any_value(areas.policy_areas)                                     AS policy_areas
FROM r
LEFT JOIN areas USING (department)
GROUP BY r.department
ORDER BY overdue DESC, pending DESC, asked DESC, r.department;

-- name: mvoting_comparison
SELECT poll_id, question, policy_area, total_votes, leading_option, vote_support, online_posts,
       online_support, agreement, main_arguments
FROM mvoting_comparison
WHERE day BETWEEN $start AND $end
QUALIFY row_number() OVER (PARTITION BY poll_id ORDER BY day DESC) = 1
ORDER BY agreement = 'disagree' DESC, total_votes DESC, poll_id
LIMIT 10;

-- name: leaders
-- The latest ranking of the period: over all areas first, by rank.
SELECT l.*
FROM opinion_leaders l
WHERE l.day = (SELECT max(day) FROM opinion_leaders WHERE day BETWEEN $start AND $end)
ORDER BY l.policy_area = 'all' DESC, l.rank, l.score DESC, l.policy_area
LIMIT 10;

-- name: official_handles
-- Public handles of the city's own accounts (their author_hash is the pseudonym of the handle).
SELECT author_hash, arg_max(handle, day) AS handle
FROM official_accounts
WHERE author_hash IS NOT NULL AND day <= $end
GROUP BY author_hash;
