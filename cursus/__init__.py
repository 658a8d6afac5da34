"""cursus: turn a course written in Markdown into SCORM packages, a website and workbooks."""

__version__ = "0.1.0"
