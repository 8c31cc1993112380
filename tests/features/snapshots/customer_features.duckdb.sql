SELECT
  "t44"."customer_id",
  "t44"."age",
  "t44"."income_monthly",
  "t44"."risk_tolerance_level",
  "t44"."days_since_complaint",
  "t44"."occupation",
  COALESCE("t44"."n_tx_30d", 0) AS "n_tx_30d",
  COALESCE("t44"."n_tx_90d", 0) AS "n_tx_90d",
  COALESCE("t44"."n_tx_365d", 0) AS "n_tx_365d",
  "t44"."in_amount_30d",
  "t44"."out_amount_30d",
  "t44"."in_amount_90d",
  "t44"."out_amount_90d",
  "t44"."in_amount_365d",
  "t44"."out_amount_365d",
  "t44"."max_inflow_60d",
  "t44"."days_since_tx",
  "t44"."out_trend",
  "t44"."net_flow_90d",
  COALESCE("t44"."n_products_held", 0) AS "n_products_held",
  COALESCE("t44"."balance_total", 0) AS "balance_total",
  COALESCE("t44"."holds_deposit", 0) AS "holds_deposit",
  COALESCE("t44"."holds_wealth", 0) AS "holds_wealth",
  COALESCE("t44"."holds_fund", 0) AS "holds_fund",
  COALESCE("t44"."holds_insurance", 0) AS "holds_insurance",
  COALESCE("t44"."holds_credit_card", 0) AS "holds_credit_card",
  COALESCE("t44"."holds_loan", 0) AS "holds_loan",
  COALESCE("t44"."holds_this_product", 0) AS "holds_this_product",
  COALESCE("t44"."balance_same_category", 0) AS "balance_same_category",
  COALESCE("t44"."n_logins_30d", 0) AS "n_logins_30d",
  COALESCE("t44"."n_logins_90d", 0) AS "n_logins_90d",
  COALESCE("t44"."n_views_30d", 0) AS "n_views_30d",
  "t44"."days_since_app",
  COALESCE("t44"."n_views_category_14d", 0) AS "n_views_category_14d",
  COALESCE("t44"."n_views_category_90d", 0) AS "n_views_category_90d",
  COALESCE("t44"."n_views_this_product_30d", 0) AS "n_views_this_product_30d",
  COALESCE("t44"."n_calls_365d", 0) AS "n_calls_365d",
  COALESCE("t44"."n_calls_30d", 0) AS "n_calls_30d",
  COALESCE("t44"."n_answered_365d", 0) AS "n_answered_365d",
  COALESCE("t44"."n_refused_365d", 0) AS "n_refused_365d",
  COALESCE("t44"."n_interested_365d", 0) AS "n_interested_365d",
  COALESCE("t44"."n_complaints_730d", 0) AS "n_complaints_730d",
  COALESCE("t44"."n_call_conversions_730d", 0) AS "n_call_conversions_730d",
  "t44"."days_since_call",
  "t44"."last_disposition",
  "t44"."answer_rate_365d",
  COALESCE("t44"."n_purchases_730d", 0) AS "n_purchases_730d",
  "t44"."days_since_purchase",
  "t44"."max_inflow_60d" / NULLIF("t44"."income_monthly", 0) AS "inflow_60d_months",
  "t44"."net_flow_90d" / NULLIF("t44"."income_monthly", 0) AS "net_flow_90d_months",
  COALESCE("t44"."balance_total", 0) / NULLIF("t44"."income_monthly", 0) AS "balance_months"
FROM (
  SELECT
    "t43".*
    EXCLUDE ("customer_id_right")
  FROM (
    SELECT
      "t42"."customer_id",
      "t42"."age",
      "t42"."income_monthly",
      "t42"."risk_tolerance_level",
      "t42"."days_since_complaint",
      "t42"."occupation",
      "t42"."n_tx_30d",
      "t42"."n_tx_90d",
      "t42"."n_tx_365d",
      "t42"."in_amount_30d",
      "t42"."out_amount_30d",
      "t42"."in_amount_90d",
      "t42"."out_amount_90d",
      "t42"."in_amount_365d",
      "t42"."out_amount_365d",
      "t42"."max_inflow_60d",
      "t42"."days_since_tx",
      "t42"."out_trend",
      "t42"."net_flow_90d",
      "t42"."n_products_held",
      "t42"."balance_total",
      "t42"."holds_deposit",
      "t42"."holds_wealth",
      "t42"."holds_fund",
      "t42"."holds_insurance",
      "t42"."holds_credit_card",
      "t42"."holds_loan",
      "t42"."holds_this_product",
      "t42"."balance_same_category",
      "t42"."n_logins_30d",
      "t42"."n_logins_90d",
      "t42"."n_views_30d",
      "t42"."days_since_app",
      "t42"."n_views_category_14d",
      "t42"."n_views_category_90d",
      "t42"."n_views_this_product_30d",
      "t42"."n_calls_365d",
      "t42"."n_calls_30d",
      "t42"."n_answered_365d",
      "t42"."n_refused_365d",
      "t42"."n_interested_365d",
      "t42"."n_complaints_730d",
      "t42"."n_call_conversions_730d",
      "t42"."days_since_call",
      "t42"."last_disposition",
      "t42"."answer_rate_365d",
      "t22"."customer_id" AS "customer_id_right",
      "t22"."n_purchases_730d",
      "t22"."days_since_purchase"
    FROM (
      SELECT
        "t40".*
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
          "t39"."n_products_held",
          "t39"."balance_total",
          "t39"."holds_deposit",
          "t39"."holds_wealth",
          "t39"."holds_fund",
          "t39"."holds_insurance",
          "t39"."holds_credit_card",
          "t39"."holds_loan",
          "t39"."holds_this_product",
          "t39"."balance_same_category",
          "t39"."n_logins_30d",
          "t39"."n_logins_90d",
          "t39"."n_views_30d",
          "t39"."days_since_app",
          "t39"."n_views_category_14d",
          "t39"."n_views_category_90d",
          "t39"."n_views_this_product_30d",
          "t26"."customer_id" AS "customer_id_right",
          "t26"."n_calls_365d",
          "t26"."n_calls_30d",
          "t26"."n_answered_365d",
          "t26"."n_refused_365d",
          "t26"."n_interested_365d",
          "t26"."n_complaints_730d",
          "t26"."n_call_conversions_730d",
          "t26"."days_since_call",
          "t26"."last_disposition",
          "t26"."answer_rate_365d"
        FROM (
          SELECT
            "t37".*
            EXCLUDE ("customer_id_right")
          FROM (
            SELECT
              "t36"."customer_id",
              "t36"."age",
              "t36"."income_monthly",
              "t36"."risk_tolerance_level",
              "t36"."days_since_complaint",
              "t36"."occupation",
              "t36"."n_tx_30d",
              "t36"."n_tx_90d",
              "t36"."n_tx_365d",
              "t36"."in_amount_30d",
              "t36"."out_amount_30d",
              "t36"."in_amount_90d",
              "t36"."out_amount_90d",
              "t36"."in_amount_365d",
              "t36"."out_amount_365d",
              "t36"."max_inflow_60d",
              "t36"."days_since_tx",
              "t36"."out_trend",
              "t36"."net_flow_90d",
              "t36"."n_products_held",
              "t36"."balance_total",
              "t36"."holds_deposit",
              "t36"."holds_wealth",
              "t36"."holds_fund",
              "t36"."holds_insurance",
              "t36"."holds_credit_card",
              "t36"."holds_loan",
              "t36"."holds_this_product",
              "t36"."balance_same_category",
              "t30"."customer_id" AS "customer_id_right",
              "t30"."n_logins_30d",
              "t30"."n_logins_90d",
              "t30"."n_views_30d",
              "t30"."days_since_app",
              "t30"."n_views_category_14d",
              "t30"."n_views_category_90d",
              "t30"."n_views_this_product_30d"
            FROM (
              SELECT
                "t34".*
                EXCLUDE ("customer_id_right")
              FROM (
                SELECT
                  "t33"."customer_id",
                  "t33"."age",
                  "t33"."income_monthly",
                  "t33"."risk_tolerance_level",
                  "t33"."days_since_complaint",
                  "t33"."occupation",
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
                  "t33"."net_flow_90d",
                  "t20"."customer_id" AS "customer_id_right",
                  "t20"."n_products_held",
                  "t20"."balance_total",
                  "t20"."holds_deposit",
                  "t20"."holds_wealth",
                  "t20"."holds_fund",
                  "t20"."holds_insurance",
                  "t20"."holds_credit_card",
                  "t20"."holds_loan",
                  "t20"."holds_this_product",
                  "t20"."balance_same_category"
                FROM (
                  SELECT
                    "t31".*
                    EXCLUDE ("customer_id_right")
                  FROM (
                    SELECT
                      "t18"."customer_id",
                      "t18"."age",
                      "t18"."income_monthly",
                      "t18"."risk_tolerance_level",
                      "t18"."days_since_complaint",
                      "t18"."occupation",
                      "t29"."customer_id" AS "customer_id_right",
                      "t29"."n_tx_30d",
                      "t29"."n_tx_90d",
                      "t29"."n_tx_365d",
                      "t29"."in_amount_30d",
                      "t29"."out_amount_30d",
                      "t29"."in_amount_90d",
                      "t29"."out_amount_90d",
                      "t29"."in_amount_365d",
                      "t29"."out_amount_365d",
                      "t29"."max_inflow_60d",
                      "t29"."days_since_tx",
                      "t29"."out_trend",
                      "t29"."net_flow_90d"
                    FROM (
                      SELECT
                        "t4"."customer_id",
                        (
                          2026 - EXTRACT(year FROM "t4"."birth_date")
                        ) - CASE
                          WHEN (
                            (
                              EXTRACT(month FROM "t4"."birth_date") * 100
                            ) + EXTRACT(day FROM "t4"."birth_date")
                          ) > 301
                          THEN 1
                          ELSE 0
                        END AS "age",
                        "t4"."income_monthly",
                        CAST(CASE "t4"."risk_tolerance"
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
                          WHEN "t4"."complaint_last_at" < MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0)
                          THEN CAST(FLOOR(
                            (
                              EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t4"."complaint_last_at" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                            ) / 86400
                          ) AS BIGINT)
                          ELSE NULL
                        END AS "days_since_complaint",
                        "t4"."occupation"
                      FROM "lake_customers" AS "t4"
                    ) AS "t18"
                    LEFT OUTER JOIN (
                      SELECT
                        "t24"."customer_id",
                        "t24"."n_tx_30d",
                        "t24"."n_tx_90d",
                        "t24"."n_tx_365d",
                        "t24"."in_amount_30d",
                        "t24"."out_amount_30d",
                        "t24"."in_amount_90d",
                        "t24"."out_amount_90d",
                        "t24"."in_amount_365d",
                        "t24"."out_amount_365d",
                        "t24"."max_inflow_60d",
                        "t24"."days_since_tx",
                        "t24"."out_amount_30d" / NULLIF("t24"."out_amount_90d" / 3, 0) AS "out_trend",
                        COALESCE("t24"."in_amount_90d", 0) - COALESCE("t24"."out_amount_90d", 0) AS "net_flow_90d"
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
                      ) AS "t24"
                    ) AS "t29"
                      ON "t18"."customer_id" = "t29"."customer_id"
                  ) AS "t31"
                ) AS "t33"
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
                    FROM "lake_holdings" AS "t2"
                    WHERE
                      TRUE
                      AND (
                        (
                          "t2"."opened_at" IS NULL
                        )
                        OR (
                          CAST("t2"."opened_at" AS TIMESTAMP) < MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0)
                        )
                      )
                      AND (
                        (
                          "t2"."closed_at" IS NULL
                        )
                        OR (
                          CAST("t2"."closed_at" AS TIMESTAMP) >= MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0)
                        )
                      )
                  ) AS "t13"
                  GROUP BY
                    1
                ) AS "t20"
                  ON "t33"."customer_id" = "t20"."customer_id"
              ) AS "t34"
            ) AS "t36"
            LEFT OUTER JOIN (
              SELECT
                "t17"."customer_id",
                COUNT(*) FILTER(WHERE
                  (
                    "t17"."event" = 'app_login'
                  )
                  AND (
                    CAST(FLOOR(
                      (
                        EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t17"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                      ) / 86400
                    ) AS BIGINT) < 30
                  )) AS "n_logins_30d",
                COUNT(*) FILTER(WHERE
                  "t17"."event" = 'app_login') AS "n_logins_90d",
                COUNT(*) FILTER(WHERE
                  (
                    "t17"."event" = 'view_product'
                  )
                  AND (
                    CAST(FLOOR(
                      (
                        EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t17"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                      ) / 86400
                    ) AS BIGINT) < 30
                  )) AS "n_views_30d",
                MIN(
                  CAST(FLOOR(
                    (
                      EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t17"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                    ) / 86400
                  ) AS BIGINT)
                ) AS "days_since_app",
                COUNT(*) FILTER(WHERE
                  (
                    "t17"."event" = 'view_product'
                  )
                  AND (
                    "t17"."viewed_category" = 'wealth'
                  )
                  AND (
                    CAST(FLOOR(
                      (
                        EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t17"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                      ) / 86400
                    ) AS BIGINT) < 14
                  )) AS "n_views_category_14d",
                COUNT(*) FILTER(WHERE
                  (
                    "t17"."event" = 'view_product'
                  ) AND (
                    "t17"."viewed_category" = 'wealth'
                  )) AS "n_views_category_90d",
                COUNT(*) FILTER(WHERE
                  (
                    "t17"."event" = 'view_product'
                  )
                  AND (
                    "t17"."detail" = 'P1'
                  )
                  AND (
                    CAST(FLOOR(
                      (
                        EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t17"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                      ) / 86400
                    ) AS BIGINT) < 30
                  )) AS "n_views_this_product_30d"
              FROM (
                SELECT
                  "t15".*
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
                    FROM "lake_events" AS "t3"
                    WHERE
                      CAST("t3"."ts" AS TIMESTAMP) < MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0)
                      AND CAST("t3"."ts" AS TIMESTAMP) >= MAKE_TIMESTAMP(2025, 12, 1, 0, 0, 0.0)
                  ) AS "t14"
                  LEFT OUTER JOIN (
                    SELECT
                      "t5"."product_id" AS "detail",
                      "t5"."category" AS "viewed_category"
                    FROM "lake_products" AS "t5"
                  ) AS "t8"
                    ON "t14"."detail" = "t8"."detail"
                ) AS "t15"
              ) AS "t17"
              GROUP BY
                1
            ) AS "t30"
              ON "t36"."customer_id" = "t30"."customer_id"
          ) AS "t37"
        ) AS "t39"
        LEFT OUTER JOIN (
          SELECT
            "t23"."customer_id",
            "t23"."n_calls_365d",
            "t23"."n_calls_30d",
            "t23"."n_answered_365d",
            "t23"."n_refused_365d",
            "t23"."n_interested_365d",
            "t23"."n_complaints_730d",
            "t23"."n_call_conversions_730d",
            "t23"."days_since_call",
            "t23"."last_disposition",
            "t23"."n_answered_365d" / NULLIF("t23"."n_calls_365d", 0) AS "answer_rate_365d"
          FROM (
            SELECT
              "t10"."customer_id",
              COUNT(*) FILTER(WHERE
                CAST(FLOOR(
                  (
                    EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t10"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                  ) / 86400
                ) AS BIGINT) < 365) AS "n_calls_365d",
              COUNT(*) FILTER(WHERE
                CAST(FLOOR(
                  (
                    EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t10"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                  ) / 86400
                ) AS BIGINT) < 30) AS "n_calls_30d",
              COUNT(*) FILTER(WHERE
                "t10"."disposition" IN (
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
                      EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t10"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                    ) / 86400
                  ) AS BIGINT) < 365
                )) AS "n_answered_365d",
              COUNT(*) FILTER(WHERE
                (
                  "t10"."disposition" = 'refused'
                )
                AND (
                  CAST(FLOOR(
                    (
                      EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t10"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                    ) / 86400
                  ) AS BIGINT) < 365
                )) AS "n_refused_365d",
              COUNT(*) FILTER(WHERE
                "t10"."disposition" IN ('interested', 'callback_requested')
                AND (
                  CAST(FLOOR(
                    (
                      EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t10"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                    ) / 86400
                  ) AS BIGINT) < 365
                )) AS "n_interested_365d",
              COUNT(*) FILTER(WHERE
                "t10"."disposition" = 'complaint') AS "n_complaints_730d",
              COUNT(*) FILTER(WHERE
                "t10"."disposition" = 'converted') AS "n_call_conversions_730d",
              MIN(
                CAST(FLOOR(
                  (
                    EPOCH(CAST(MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0) AS TIMESTAMP)) - EPOCH(CAST(CAST(CAST("t10"."ts" AS DATE) AS TIMESTAMP) AS TIMESTAMP))
                  ) / 86400
                ) AS BIGINT)
              ) AS "days_since_call",
              FIRST("t10"."disposition" ORDER BY "t10"."ts" DESC) AS "last_disposition"
            FROM (
              SELECT
                *
              FROM "lake_contacts" AS "t1"
              WHERE
                CAST("t1"."ts" AS TIMESTAMP) < MAKE_TIMESTAMP(2026, 3, 1, 0, 0, 0.0)
                AND CAST("t1"."ts" AS TIMESTAMP) >= MAKE_TIMESTAMP(2024, 3, 1, 0, 0, 0.0)
                AND "t1"."channel" = 'call'
            ) AS "t10"
            GROUP BY
              1
          ) AS "t23"
        ) AS "t26"
          ON "t39"."customer_id" = "t26"."customer_id"
      ) AS "t40"
    ) AS "t42"
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
    ) AS "t22"
      ON "t42"."customer_id" = "t22"."customer_id"
  ) AS "t43"
) AS "t44"
ORDER BY
  "t44"."customer_id" ASC
