"""The course builder: source articles (text, Markdown, HTML) to a drip sequence of lessons."""
