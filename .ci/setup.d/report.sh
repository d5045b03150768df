# The report's outside program: headless Chromium, which renders
# edgelab-out/report.html to a screenshot in cmd/edgelab's report test.
need_apt chromium
