"""Indicator statistics on whole columns.

Pure: imports nothing from the web or the database. Every public function takes a Polars DataFrame or
LazyFrame (NumPy arrays where simpler), works on many groups at once and returns the input with result
columns added, named as in the reference R package PHEindicatormethods so analysts recognise them; where
that package has no method, as the field's own references name them (Making Data Count for SPC charts,
Spiegelhalter 2005 for overdispersed funnel plots).
"""
