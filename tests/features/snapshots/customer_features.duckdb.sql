WITH "t11" AS (
  SELECT
    *
  FROM "lake_contacts" AS "t5"
  WHERE
    CAST("t5"."ts" AS TIMESTAMP) < MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0)
    AND CAST("t5"."ts" AS TIMESTAMP) >= MAKE_TIMESTAMP(2024, 3, 1, 0, 0, 0.0)
    AND "t5"."channel" = 'call'
), "t26" AS (
  SELECT
    "t15"."customer_id",
    COUNT(*) FILTER(WHERE
      CAST(FLOOR(
        (
          EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t15"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
        ) / 86400
      ) AS BIGINT) < 365) AS "n_calls_365d",
    COUNT(*) FILTER(WHERE
      CAST(FLOOR(
        (
          EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t15"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
        ) / 86400
      ) AS BIGINT) < 30) AS "n_calls_30d",
    COUNT(*) FILTER(WHERE
      "t15"."disposition" IN (
        'answered',
        'refused',
        'callback_requested',
        'interested',
        'converted',
        'dnc_requested',
        'complaint'
      )
      AND (
        CAST(FLOOR(
          (
            EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t15"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
          ) / 86400
        ) AS BIGINT) < 365
      )) AS "n_answered_365d",
    COUNT(*) FILTER(WHERE
      (
        "t15"."disposition" = 'refused'
      )
      AND (
        CAST(FLOOR(
          (
            EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t15"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
          ) / 86400
        ) AS BIGINT) < 365
      )) AS "n_refused_365d",
    COUNT(*) FILTER(WHERE
      "t15"."disposition" IN ('interested', 'callback_requested')
      AND (
        CAST(FLOOR(
          (
            EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t15"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
          ) / 86400
        ) AS BIGINT) < 365
      )) AS "n_interested_365d",
    COUNT(*) FILTER(WHERE
      "t15"."disposition" = 'complaint') AS "n_complaints_730d",
    COUNT(*) FILTER(WHERE
      "t15"."disposition" = 'converted') AS "n_call_conversions_730d",
    MIN(
      CAST(FLOOR(
        (
          EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t15"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
        ) / 86400
      ) AS BIGINT)
    ) AS "days_since_call",
    MAX("t15"."ts") AS "last_ts"
  FROM "t11" AS "t15"
  GROUP BY
    1
)
SELECT
  "t56"."customer_id",
  "t56"."age",
  "t56"."income_monthly",
  "t56"."risk_tolerance_level",
  "t56"."days_since_complaint",
  "t56"."occupation",
  COALESCE("t56"."n_tx_30d", 0) AS "n_tx_30d",
  COALESCE("t56"."n_tx_90d", 0) AS "n_tx_90d",
  COALESCE("t56"."n_tx_365d", 0) AS "n_tx_365d",
  "t56"."in_amount_30d",
  "t56"."out_amount_30d",
  "t56"."in_amount_90d",
  "t56"."out_amount_90d",
  "t56"."in_amount_365d",
  "t56"."out_amount_365d",
  "t56"."max_inflow_60d",
  "t56"."days_since_tx",
  "t56"."out_trend",
  "t56"."net_flow_90d",
  COALESCE("t56"."n_products_held", 0) AS "n_products_held",
  COALESCE("t56"."balance_total", 0) AS "balance_total",
  COALESCE("t56"."holds_deposit", 0) AS "holds_deposit",
  COALESCE("t56"."holds_wealth", 0) AS "holds_wealth",
  COALESCE("t56"."holds_fund", 0) AS "holds_fund",
  COALESCE("t56"."holds_insurance", 0) AS "holds_insurance",
  COALESCE("t56"."holds_credit_card", 0) AS "holds_credit_card",
  COALESCE("t56"."holds_loan", 0) AS "holds_loan",
  COALESCE("t56"."holds_this_product", 0) AS "holds_this_product",
  COALESCE("t56"."balance_same_category", 0) AS "balance_same_category",
  COALESCE("t56"."n_logins_30d", 0) AS "n_logins_30d",
  COALESCE("t56"."n_logins_90d", 0) AS "n_logins_90d",
  COALESCE("t56"."n_views_30d", 0) AS "n_views_30d",
  "t56"."days_since_app",
  COALESCE("t56"."n_views_category_14d", 0) AS "n_views_category_14d",
  COALESCE("t56"."n_views_category_90d", 0) AS "n_views_category_90d",
  COALESCE("t56"."n_views_this_product_30d", 0) AS "n_views_this_product_30d",
  COALESCE("t56"."n_calls_365d", 0) AS "n_calls_365d",
  COALESCE("t56"."n_calls_30d", 0) AS "n_calls_30d",
  COALESCE("t56"."n_answered_365d", 0) AS "n_answered_365d",
  COALESCE("t56"."n_refused_365d", 0) AS "n_refused_365d",
  COALESCE("t56"."n_interested_365d", 0) AS "n_interested_365d",
  COALESCE("t56"."n_complaints_730d", 0) AS "n_complaints_730d",
  COALESCE("t56"."n_call_conversions_730d", 0) AS "n_call_conversions_730d",
  "t56"."days_since_call",
  "t56"."last_disposition",
  "t56"."answer_rate_365d",
  COALESCE("t56"."n_purchases_730d", 0) AS "n_purchases_730d",
  "t56"."days_since_purchase",
  "t56"."max_inflow_60d" / NULLIF("t56"."income_monthly", 0) AS "inflow_60d_months",
  "t56"."net_flow_90d" / NULLIF("t56"."income_monthly", 0) AS "net_flow_90d_months",
  COALESCE("t56"."balance_total", 0) / NULLIF("t56"."income_monthly", 0) AS "balance_months"
FROM (
  SELECT
    "t55".*
    EXCLUDE ("customer_id_right")
  FROM (
    SELECT
      "t54"."customer_id",
      "t54"."age",
      "t54"."income_monthly",
      "t54"."risk_tolerance_level",
      "t54"."days_since_complaint",
      "t54"."occupation",
      "t54"."n_tx_30d",
      "t54"."n_tx_90d",
      "t54"."n_tx_365d",
      "t54"."in_amount_30d",
      "t54"."out_amount_30d",
      "t54"."in_amount_90d",
      "t54"."out_amount_90d",
      "t54"."in_amount_365d",
      "t54"."out_amount_365d",
      "t54"."max_inflow_60d",
      "t54"."days_since_tx",
      "t54"."out_trend",
      "t54"."net_flow_90d",
      "t54"."n_products_held",
      "t54"."balance_total",
      "t54"."holds_deposit",
      "t54"."holds_wealth",
      "t54"."holds_fund",
      "t54"."holds_insurance",
      "t54"."holds_credit_card",
      "t54"."holds_loan",
      "t54"."holds_this_product",
      "t54"."balance_same_category",
      "t54"."n_logins_30d",
      "t54"."n_logins_90d",
      "t54"."n_views_30d",
      "t54"."days_since_app",
      "t54"."n_views_category_14d",
      "t54"."n_views_category_90d",
      "t54"."n_views_this_product_30d",
      "t54"."n_calls_365d",
      "t54"."n_calls_30d",
      "t54"."n_answered_365d",
      "t54"."n_refused_365d",
      "t54"."n_interested_365d",
      "t54"."n_complaints_730d",
      "t54"."n_call_conversions_730d",
      "t54"."days_since_call",
      "t54"."last_disposition",
      "t54"."answer_rate_365d",
      "t24"."customer_id" AS "customer_id_right",
      "t24"."n_purchases_730d",
      "t24"."days_since_purchase"
    FROM (
      SELECT
        "t52".*
        EXCLUDE ("customer_id_right")
      FROM (
        SELECT
          "t51"."customer_id",
          "t51"."age",
          "t51"."income_monthly",
          "t51"."risk_tolerance_level",
          "t51"."days_since_complaint",
          "t51"."occupation",
          "t51"."n_tx_30d",
          "t51"."n_tx_90d",
          "t51"."n_tx_365d",
          "t51"."in_amount_30d",
          "t51"."out_amount_30d",
          "t51"."in_amount_90d",
          "t51"."out_amount_90d",
          "t51"."in_amount_365d",
          "t51"."out_amount_365d",
          "t51"."max_inflow_60d",
          "t51"."days_since_tx",
          "t51"."out_trend",
          "t51"."net_flow_90d",
          "t51"."n_products_held",
          "t51"."balance_total",
          "t51"."holds_deposit",
          "t51"."holds_wealth",
          "t51"."holds_fund",
          "t51"."holds_insurance",
          "t51"."holds_credit_card",
          "t51"."holds_loan",
          "t51"."holds_this_product",
          "t51"."balance_same_category",
          "t51"."n_logins_30d",
          "t51"."n_logins_90d",
          "t51"."n_views_30d",
          "t51"."days_since_app",
          "t51"."n_views_category_14d",
          "t51"."n_views_category_90d",
          "t51"."n_views_this_product_30d",
          "t50"."customer_id" AS "customer_id_right",
          "t50"."n_calls_365d",
          "t50"."n_calls_30d",
          "t50"."n_answered_365d",
          "t50"."n_refused_365d",
          "t50"."n_interested_365d",
          "t50"."n_complaints_730d",
          "t50"."n_call_conversions_730d",
          "t50"."days_since_call",
          "t50"."last_disposition",
          "t50"."answer_rate_365d"
        FROM (
          SELECT
            "t47".*
            EXCLUDE ("customer_id_right")
          FROM (
            SELECT
              "t45"."customer_id",
              "t45"."age",
              "t45"."income_monthly",
              "t45"."risk_tolerance_level",
              "t45"."days_since_complaint",
              "t45"."occupation",
              "t45"."n_tx_30d",
              "t45"."n_tx_90d",
              "t45"."n_tx_365d",
              "t45"."in_amount_30d",
              "t45"."out_amount_30d",
              "t45"."in_amount_90d",
              "t45"."out_amount_90d",
              "t45"."in_amount_365d",
              "t45"."out_amount_365d",
              "t45"."max_inflow_60d",
              "t45"."days_since_tx",
              "t45"."out_trend",
              "t45"."net_flow_90d",
              "t45"."n_products_held",
              "t45"."balance_total",
              "t45"."holds_deposit",
              "t45"."holds_wealth",
              "t45"."holds_fund",
              "t45"."holds_insurance",
              "t45"."holds_credit_card",
              "t45"."holds_loan",
              "t45"."holds_this_product",
              "t45"."balance_same_category",
              "t34"."customer_id" AS "customer_id_right",
              "t34"."n_logins_30d",
              "t34"."n_logins_90d",
              "t34"."n_views_30d",
              "t34"."days_since_app",
              "t34"."n_views_category_14d",
              "t34"."n_views_category_90d",
              "t34"."n_views_this_product_30d"
            FROM (
              SELECT
                "t41".*
                EXCLUDE ("customer_id_right")
              FROM (
                SELECT
                  "t39"."customer_id",
                  "t39"."age",
                  "t39"."income_monthly",
                  "t39"."risk_tolerance_level",
                  "t39"."days_since_complaint",
                  "t39"."occupation",
                  "t39"."n_tx_30d",
                  "t39"."n_tx_90d",
                  "t39"."n_tx_365d",
                  "t39"."in_amount_30d",
                  "t39"."out_amount_30d",
                  "t39"."in_amount_90d",
                  "t39"."out_amount_90d",
                  "t39"."in_amount_365d",
                  "t39"."out_amount_365d",
                  "t39"."max_inflow_60d",
                  "t39"."days_since_tx",
                  "t39"."out_trend",
                  "t39"."net_flow_90d",
                  "t22"."customer_id" AS "customer_id_right",
                  "t22"."n_products_held",
                  "t22"."balance_total",
                  "t22"."holds_deposit",
                  "t22"."holds_wealth",
                  "t22"."holds_fund",
                  "t22"."holds_insurance",
                  "t22"."holds_credit_card",
                  "t22"."holds_loan",
                  "t22"."holds_this_product",
                  "t22"."balance_same_category"
                FROM (
                  SELECT
                    "t36".*
                    EXCLUDE ("customer_id_right")
                  FROM (
                    SELECT
                      "t20"."customer_id",
                      "t20"."age",
                      "t20"."income_monthly",
                      "t20"."risk_tolerance_level",
                      "t20"."days_since_complaint",
                      "t20"."occupation",
                      "t33"."customer_id" AS "customer_id_right",
                      "t33"."n_tx_30d",
                      "t33"."n_tx_90d",
                      "t33"."n_tx_365d",
                      "t33"."in_amount_30d",
                      "t33"."out_amount_30d",
                      "t33"."in_amount_90d",
                      "t33"."out_amount_90d",
                      "t33"."in_amount_365d",
                      "t33"."out_amount_365d",
                      "t33"."max_inflow_60d",
                      "t33"."days_since_tx",
                      "t33"."out_trend",
                      "t33"."net_flow_90d"
                    FROM (
                      SELECT
                        "t3"."customer_id",
                        (
                          2026 - EXTRACT(year FROM "t3"."birth_date")
                        ) - CASE
                          WHEN (
                            (
                              EXTRACT(month FROM "t3"."birth_date") * 100
                            ) + EXTRACT(day FROM "t3"."birth_date")
                          ) > 301
                          THEN 1
                          ELSE 0
                        END AS "age",
                        "t3"."income_monthly",
                        CAST(CASE "t3"."risk_tolerance"
                          WHEN 'C1'
                          THEN 1
                          WHEN 'C2'
                          THEN 2
                          WHEN 'C3'
                          THEN 3
                          WHEN 'C4'
                          THEN 4
                          WHEN 'C5'
                          THEN 5
                          ELSE NULL
                        END AS BIGINT) AS "risk_tolerance_level",
                        CASE
                          WHEN "t3"."complaint_last_at" < MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0)
                          THEN CAST(FLOOR(
                            (
                              EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t3"."complaint_last_at" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                            ) / 86400
                          ) AS BIGINT)
                          ELSE NULL
                        END AS "days_since_complaint",
                        "t3"."occupation"
                      FROM "lake_customers" AS "t3"
                    ) AS "t20"
                    LEFT OUTER JOIN (
                      SELECT
                        "t25"."customer_id",
                        "t25"."n_tx_30d",
                        "t25"."n_tx_90d",
                        "t25"."n_tx_365d",
                        "t25"."in_amount_30d",
                        "t25"."out_amount_30d",
                        "t25"."in_amount_90d",
                        "t25"."out_amount_90d",
                        "t25"."in_amount_365d",
                        "t25"."out_amount_365d",
                        "t25"."max_inflow_60d",
                        "t25"."days_since_tx",
                        "t25"."out_amount_30d" / NULLIF("t25"."out_amount_90d" / 3, 0) AS "out_trend",
                        COALESCE("t25"."in_amount_90d", 0) - COALESCE("t25"."out_amount_90d", 0) AS "net_flow_90d"
                      FROM (
                        SELECT
                          "t12"."customer_id",
                          COUNT(*) FILTER(WHERE
                            CAST(FLOOR(
                              (
                                EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t12"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                              ) / 86400
                            ) AS BIGINT) < 30) AS "n_tx_30d",
                          COUNT(*) FILTER(WHERE
                            CAST(FLOOR(
                              (
                                EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t12"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                              ) / 86400
                            ) AS BIGINT) < 90) AS "n_tx_90d",
                          COUNT(*) AS "n_tx_365d",
                          SUM(ABS("t12"."amount")) FILTER(WHERE
                            (
                              CAST(FLOOR(
                                (
                                  EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t12"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                                ) / 86400
                              ) AS BIGINT) < 30
                            )
                            AND (
                              "t12"."direction" = 'in'
                            )) AS "in_amount_30d",
                          SUM(ABS("t12"."amount")) FILTER(WHERE
                            (
                              CAST(FLOOR(
                                (
                                  EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t12"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                                ) / 86400
                              ) AS BIGINT) < 30
                            )
                            AND NOT (
                              "t12"."direction" = 'in'
                            )) AS "out_amount_30d",
                          SUM(ABS("t12"."amount")) FILTER(WHERE
                            (
                              CAST(FLOOR(
                                (
                                  EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t12"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                                ) / 86400
                              ) AS BIGINT) < 90
                            )
                            AND (
                              "t12"."direction" = 'in'
                            )) AS "in_amount_90d",
                          SUM(ABS("t12"."amount")) FILTER(WHERE
                            (
                              CAST(FLOOR(
                                (
                                  EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t12"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                                ) / 86400
                              ) AS BIGINT) < 90
                            )
                            AND NOT (
                              "t12"."direction" = 'in'
                            )) AS "out_amount_90d",
                          SUM(ABS("t12"."amount")) FILTER(WHERE
                            "t12"."direction" = 'in') AS "in_amount_365d",
                          SUM(ABS("t12"."amount")) FILTER(WHERE
                            NOT (
                              "t12"."direction" = 'in'
                            )) AS "out_amount_365d",
                          MAX(ABS("t12"."amount")) FILTER(WHERE
                            (
                              CAST(FLOOR(
                                (
                                  EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t12"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                                ) / 86400
                              ) AS BIGINT) < 60
                            )
                            AND (
                              "t12"."direction" = 'in'
                            )) AS "max_inflow_60d",
                          MIN(
                            CAST(FLOOR(
                              (
                                EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t12"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                              ) / 86400
                            ) AS BIGINT)
                          ) AS "days_since_tx"
                        FROM (
                          SELECT
                            *
                          FROM "lake_transactions" AS "t6"
                          WHERE
                            CAST("t6"."ts" AS TIMESTAMP) < MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0)
                            AND CAST("t6"."ts" AS TIMESTAMP) >= MAKE_TIMESTAMP(2025, 3, 1, 0, 0, 0.0)
                        ) AS "t12"
                        GROUP BY
                          1
                      ) AS "t25"
                    ) AS "t33"
                      ON "t20"."customer_id" = "t33"."customer_id"
                  ) AS "t36"
                ) AS "t39"
                LEFT OUTER JOIN (
                  SELECT
                    "t13"."customer_id",
                    COUNT(*) AS "n_products_held",
                    SUM("t13"."balance") AS "balance_total",
                    CAST(COUNT(*) FILTER(WHERE
                      "t13"."category" = 'deposit') > 0 AS BIGINT) AS "holds_deposit",
                    CAST(COUNT(*) FILTER(WHERE
                      "t13"."category" = 'wealth') > 0 AS BIGINT) AS "holds_wealth",
                    CAST(COUNT(*) FILTER(WHERE
                      "t13"."category" = 'fund') > 0 AS BIGINT) AS "holds_fund",
                    CAST(COUNT(*) FILTER(WHERE
                      "t13"."category" = 'insurance') > 0 AS BIGINT) AS "holds_insurance",
                    CAST(COUNT(*) FILTER(WHERE
                      "t13"."category" = 'credit_card') > 0 AS BIGINT) AS "holds_credit_card",
                    CAST(COUNT(*) FILTER(WHERE
                      "t13"."category" = 'loan') > 0 AS BIGINT) AS "holds_loan",
                    CAST(COUNT(*) FILTER(WHERE
                      "t13"."product_id" = 'P1') > 0 AS BIGINT) AS "holds_this_product",
                    SUM("t13"."balance") FILTER(WHERE
                      "t13"."category" = 'wealth') AS "balance_same_category"
                  FROM (
                    SELECT
                      *
                    FROM "lake_holdings" AS "t1"
                    WHERE
                      TRUE
                      AND (
                        (
                          "t1"."opened_at" IS NULL
                        )
                        OR (
                          CAST("t1"."opened_at" AS TIMESTAMP) < MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0)
                        )
                      )
                      AND (
                        (
                          "t1"."closed_at" IS NULL
                        )
                        OR (
                          CAST("t1"."closed_at" AS TIMESTAMP) >= MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0)
                        )
                      )
                  ) AS "t13"
                  GROUP BY
                    1
                ) AS "t22"
                  ON "t39"."customer_id" = "t22"."customer_id"
              ) AS "t41"
            ) AS "t45"
            LEFT OUTER JOIN (
              SELECT
                "t19"."customer_id",
                COUNT(*) FILTER(WHERE
                  (
                    "t19"."event" = 'app_login'
                  )
                  AND (
                    CAST(FLOOR(
                      (
                        EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t19"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                      ) / 86400
                    ) AS BIGINT) < 30
                  )) AS "n_logins_30d",
                COUNT(*) FILTER(WHERE
                  "t19"."event" = 'app_login') AS "n_logins_90d",
                COUNT(*) FILTER(WHERE
                  (
                    "t19"."event" = 'view_product'
                  )
                  AND (
                    CAST(FLOOR(
                      (
                        EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t19"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                      ) / 86400
                    ) AS BIGINT) < 30
                  )) AS "n_views_30d",
                MIN(
                  CAST(FLOOR(
                    (
                      EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t19"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                    ) / 86400
                  ) AS BIGINT)
                ) AS "days_since_app",
                COUNT(*) FILTER(WHERE
                  (
                    "t19"."event" = 'view_product'
                  )
                  AND (
                    "t19"."viewed_category" = 'wealth'
                  )
                  AND (
                    CAST(FLOOR(
                      (
                        EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t19"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                      ) / 86400
                    ) AS BIGINT) < 14
                  )) AS "n_views_category_14d",
                COUNT(*) FILTER(WHERE
                  (
                    "t19"."event" = 'view_product'
                  ) AND (
                    "t19"."viewed_category" = 'wealth'
                  )) AS "n_views_category_90d",
                COUNT(*) FILTER(WHERE
                  (
                    "t19"."event" = 'view_product'
                  )
                  AND (
                    "t19"."detail" = 'P1'
                  )
                  AND (
                    CAST(FLOOR(
                      (
                        EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t19"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                      ) / 86400
                    ) AS BIGINT) < 30
                  )) AS "n_views_this_product_30d"
              FROM (
                SELECT
                  "t17".*
                  EXCLUDE ("detail_right")
                FROM (
                  SELECT
                    "t14"."customer_id",
                    "t14"."ts",
                    "t14"."event",
                    "t14"."detail",
                    "t8"."detail" AS "detail_right",
                    "t8"."viewed_category"
                  FROM (
                    SELECT
                      *
                    FROM "lake_events" AS "t2"
                    WHERE
                      CAST("t2"."ts" AS TIMESTAMP) < MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0)
                      AND CAST("t2"."ts" AS TIMESTAMP) >= MAKE_TIMESTAMP(2025, 12, 1, 0, 0, 0.0)
                  ) AS "t14"
                  LEFT OUTER JOIN (
                    SELECT
                      "t4"."product_id" AS "detail",
                      "t4"."category" AS "viewed_category"
                    FROM "lake_products" AS "t4"
                  ) AS "t8"
                    ON "t14"."detail" = "t8"."detail"
                ) AS "t17"
              ) AS "t19"
              GROUP BY
                1
            ) AS "t34"
              ON "t45"."customer_id" = "t34"."customer_id"
          ) AS "t47"
        ) AS "t51"
        LEFT OUTER JOIN (
          SELECT
            "t46"."customer_id",
            "t46"."n_calls_365d",
            "t46"."n_calls_30d",
            "t46"."n_answered_365d",
            "t46"."n_refused_365d",
            "t46"."n_interested_365d",
            "t46"."n_complaints_730d",
            "t46"."n_call_conversions_730d",
            "t46"."days_since_call",
            "t46"."last_disposition",
            "t46"."n_answered_365d" / NULLIF("t46"."n_calls_365d", 0) AS "answer_rate_365d"
          FROM (
            SELECT
              "t44".*
              EXCLUDE ("last_ts")
            FROM (
              SELECT
                "t42".*
                EXCLUDE ("customer_id_right")
              FROM (
                SELECT
                  "t28"."customer_id",
                  "t28"."n_calls_365d",
                  "t28"."n_calls_30d",
                  "t28"."n_answered_365d",
                  "t28"."n_refused_365d",
                  "t28"."n_interested_365d",
                  "t28"."n_complaints_730d",
                  "t28"."n_call_conversions_730d",
                  "t28"."days_since_call",
                  "t28"."last_ts",
                  "t40"."customer_id" AS "customer_id_right",
                  "t40"."last_disposition"
                FROM "t26" AS "t28"
                LEFT OUTER JOIN (
                  SELECT
                    "t35"."customer_id",
                    MAX("t35"."disposition") AS "last_disposition"
                  FROM (
                    SELECT
                      "t16"."contact_id",
                      "t16"."customer_id",
                      "t16"."channel",
                      "t16"."ts",
                      "t16"."disposition",
                      "t30"."last_ts"
                    FROM "t11" AS "t16"
                    INNER JOIN (
                      SELECT
                        "t27"."customer_id",
                        "t27"."last_ts"
                      FROM "t26" AS "t27"
                    ) AS "t30"
                      ON "t16"."customer_id" = "t30"."customer_id" AND "t16"."ts" = "t30"."last_ts"
                  ) AS "t35"
                  GROUP BY
                    1
                ) AS "t40"
                  ON "t28"."customer_id" = "t40"."customer_id"
              ) AS "t42"
            ) AS "t44"
          ) AS "t46"
        ) AS "t50"
          ON "t51"."customer_id" = "t50"."customer_id"
      ) AS "t52"
    ) AS "t54"
    LEFT OUTER JOIN (
      SELECT
        "t9"."customer_id",
        COUNT(*) AS "n_purchases_730d",
        MIN(
          CAST(FLOOR(
            (
              EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t9"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
            ) / 86400
          ) AS BIGINT)
        ) AS "days_since_purchase"
      FROM (
        SELECT
          *
        FROM "lake_conversions" AS "t0"
        WHERE
          CAST("t0"."ts" AS TIMESTAMP) < MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0)
          AND CAST("t0"."ts" AS TIMESTAMP) >= MAKE_TIMESTAMP(2024, 3, 1, 0, 0, 0.0)
      ) AS "t9"
      GROUP BY
        1
    ) AS "t24"
      ON "t54"."customer_id" = "t24"."customer_id"
  ) AS "t55"
) AS "t56"
ORDER BY
  "t56"."customer_id" ASC
