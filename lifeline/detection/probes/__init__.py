"""Lifeline's own probes (监控): checks, rules, scheduling, history, pages."""
