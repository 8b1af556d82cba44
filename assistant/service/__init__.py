"""The service the command line and the web UI both call, and what they both show
(presenters), feedback, rate limits, scores. May import every stage below it."""
