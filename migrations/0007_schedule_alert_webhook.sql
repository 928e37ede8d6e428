ALTER TABLE `alerts` ADD `webhook_secret` text;--> statement-breakpoint
ALTER TABLE `schedules` ADD `alert_webhook_secret` text;