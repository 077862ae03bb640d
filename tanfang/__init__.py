"""Tanfang 探访关爱: visits and care for elderly people in special difficulty."""
