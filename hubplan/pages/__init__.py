"""The Dash pages of the dashboard (Dash Pages reads this folder)."""
