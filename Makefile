# newsbot — `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUTPUT ?= output
HISTORY ?= 200000
ONLY    ?= all
SCRAPY := $(BIN)/scrapy
# A loopback replay of recorded answers, for the demo (no internet needed).
REPLAY := $(BIN)/python -m newsbot.replay tests/data/upstream --
LOCAL  := -s NEWSBOT_TEXT_URL="$$REPLAY_URL/NewsData/GetNewsText.do?id={code}" \
          -s NEWSBOT_ARTICLE_URL="$$REPLAY_URL/a/{id}.html" \
          -s AUTOTHROTTLE_ENABLED=0 -s DOWNLOAD_DELAY=0 -s RETRY_ENABLED=0

.PHONY: install jekyll test lint fuzz bench demo site crawl clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

lint: install
	$(BIN)/ruff check newsbot tests bench

# Debian's jekyll, for the build tests and `make site` (installed with apt-get when run as root).
jekyll:
	@command -v jekyll >/dev/null || { [ "$$(id -u)" = 0 ] \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jekyll >/dev/null; } \
	  || { echo "jekyll is missing: apt-get install jekyll (as root)"; exit 1; }

test: lint jekyll
	$(BIN)/python -m pytest

demo: install
	$(REPLAY) sh -c '$(SCRAPY) crawl share -a file=demo/links.txt \
	  -a urls="$$REPLAY_URL/html_News/NewsShare.html?infoCode=NW202202242288329527" \
	  -s NEWSBOT_OUTPUT_DIR=$(OUTPUT) $(LOCAL)'
	@echo
	@echo "Posts written under $(OUTPUT)/_posts, category pages under $(OUTPUT)/category:"
	@find $(OUTPUT)/_posts $(OUTPUT)/category -type f | sort

# Figures, not a test: newsbot against a bare Scrapy spider on this machine (N=1000 and 5000), and
# runs on a fresh tree against a synthetic tree of HISTORY posts. ONLY=throughput|history: one half.
bench: install
	$(BIN)/python bench/run.py --history $(HISTORY) --only $(ONLY)

# A long fuzz run of the cleaner: random hostile markup, 50,000 examples a test; and of the built
# site: 200 random batches of articles crawled and built with Jekyll (tests/test_site_safety.py).
fuzz: install jekyll
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -p no:cacheprovider -k "random" tests/test_clean.py tests/test_injection.py tests/test_site_safety.py

# Build the tree with Jekyll into $(OUTPUT)/_site; the skeleton in site/ never overwrites a file.
site: jekyll
	mkdir -p $(OUTPUT)
	cp -rn site/. $(OUTPUT)/
	jekyll build --source $(OUTPUT) --destination $(OUTPUT)/_site

# The real thing: make crawl URLS=https://choicewzp1.eastmoney.com/html_News/NewsShare.html?infoCode=NW...
crawl: install
	$(SCRAPY) crawl share -a urls='$(URLS)' -s NEWSBOT_OUTPUT_DIR=$(OUTPUT)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
