"""The elderly profile (精准画像): a view across assessments and the assistance register."""
