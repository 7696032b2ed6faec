-- The member counts on a cut-off day (:day) per district, straightforward:
-- every member read, moved back to where a later confirmed transfer took
-- it from, the age bands by birth date, the same question that
-- GET /api/v1/reports/members?as_of=:day answers from member_census
-- (crates/persistence/src/census.rs, Source::Raw). Used by
-- scripts/bench-census.sh with pgbench -D day=YYYY-MM-DD.
WITH moved AS (
  SELECT t.member_id, t.from_district_id
  FROM transfers t
  WHERE t.status = 'confirmed' AND t.effective_on > CAST(:day AS date)
    AND NOT EXISTS (
      SELECT 1 FROM transfers e
      WHERE e.member_id = t.member_id AND e.status = 'confirmed'
        AND e.effective_on > CAST(:day AS date)
        AND (e.effective_on < t.effective_on
          OR (e.effective_on = t.effective_on AND e.id < t.id))))
SELECT COALESCE(mv.from_district_id, m.district_id) AS district,
  COUNT(*) AS members,
  COUNT(*) FILTER (WHERE m.anonymised_at IS NULL
    AND m.date_of_birth > CAST(:day AS date) - INTERVAL '36 years') AS age_14_35,
  COUNT(*) FILTER (WHERE m.anonymised_at IS NULL
    AND m.date_of_birth <= CAST(:day AS date) - INTERVAL '36 years'
    AND m.date_of_birth > CAST(:day AS date) - INTERVAL '61 years') AS age_36_60,
  COUNT(*) FILTER (WHERE m.anonymised_at IS NULL
    AND m.date_of_birth <= CAST(:day AS date) - INTERVAL '61 years') AS age_over_60,
  COUNT(*) FILTER (WHERE m.anonymised_at IS NOT NULL) AS age_unknown
FROM members m LEFT JOIN moved mv ON mv.member_id = m.id
WHERE m.joined_on <= CAST(:day AS date)
  AND (COALESCE(m.left_on, m.resigns_on) IS NULL
    OR COALESCE(m.left_on, m.resigns_on) > CAST(:day AS date))
GROUP BY 1;
