/* The course's search index, loaded when the learner first searches (a script, so it works from file://). */
window.CursusSearchIndex = {{ entries|tojson }};
