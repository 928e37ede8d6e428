ALTER TABLE `requests` ADD `reasoning_tokens` integer;--> statement-breakpoint
ALTER TABLE `requests` ADD `first_reasoning_ms` real;--> statement-breakpoint
ALTER TABLE `requests` ADD `first_visible_ms` real;--> statement-breakpoint
ALTER TABLE `requests` ADD `cached_prompt_tokens` integer;