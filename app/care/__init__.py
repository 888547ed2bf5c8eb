"""服务找人 — the care loop: needs (需求库), resources (资源项目库), referrals (派单) and visits
(探访关爱). A business domain: it reads people from the recipient and assessment ports."""
