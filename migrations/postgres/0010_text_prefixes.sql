-- Text filters choose how to read a filtered page from the planner's estimate of how many rows
-- a word matches. Its statistics on the search vectors keep the most common words; more of
-- them keep the estimate close for more of the words people type.
alter table leads alter column search set statistics 1000;
alter table contacts alter column search set statistics 1000;
alter table accounts alter column search set statistics 1000;
alter table opportunities alter column search set statistics 1000;
