# newsbot — `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUTPUT ?= output
SCRAPY := $(BIN)/scrapy
# A loopback replay of recorded answers, for the demo (no internet needed).
REPLAY := $(BIN)/python -m newsbot.replay tests/data/upstream --
LOCAL  := -s NEWSBOT_TEXT_URL="$$REPLAY_URL/NewsData/GetNewsText.do?id={code}" \
          -s NEWSBOT_ARTICLE_URL="$$REPLAY_URL/a/{id}.html" \
          -s AUTOTHROTTLE_ENABLED=0 -s DOWNLOAD_DELAY=0 -s RETRY_ENABLED=0

.PHONY: install test lint demo crawl clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

lint: install
	$(BIN)/ruff check newsbot tests

test: lint
	$(BIN)/python -m pytest

demo: install
	$(REPLAY) sh -c '$(SCRAPY) crawl share -a file=demo/links.txt \
	  -a urls="$$REPLAY_URL/html_News/NewsShare.html?infoCode=NW202202242288329527" \
	  -s NEWSBOT_OUTPUT_DIR=$(OUTPUT) $(LOCAL)'
	@echo
	@echo "Posts written under $(OUTPUT)/_posts, category pages under $(OUTPUT)/category:"
	@find $(OUTPUT)/_posts $(OUTPUT)/category -type f | sort

# The real thing: make crawl URLS=https://choicewzp1.eastmoney.com/html_News/NewsShare.html?infoCode=NW...
crawl: install
	$(SCRAPY) crawl share -a urls='$(URLS)' -s NEWSBOT_OUTPUT_DIR=$(OUTPUT)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
